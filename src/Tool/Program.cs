using System;
using System.Collections.Generic;
using System.IO;
using Dsl.Cli;
using Dsl.Tool;

// dsl [--project PATH | --assembly PATH] [--configuration NAME] [--no-build] COMMAND ...
// The project options are read first, because the commands (and their help) depend on the networks the project declares.
var rest = new List<string>();
string? project = null, assembly = null, configuration = "Debug";
bool noBuild = false;
for (int i = 0; i < args.Length; i++)
{
    string a = args[i];
    string? Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value.");
    try
    {
        switch (a)
        {
            case "--project" or "-p": project = Value(); break;
            case "--assembly": assembly = Value(); break;
            case "--configuration" or "-c": configuration = Value()!; break;
            case "--no-build": noBuild = true; break;
            default: rest.Add(a); break;
        }
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine("error: " + e.Message);
        return 2;
    }
}
if (project is not null && assembly is not null)
{
    Console.Error.WriteLine("error: pass either --project (to build) or --assembly (built already), not both.");
    return 2;
}

const string Usage = "usage: dsl [--project PATH | --assembly PATH] [--configuration NAME] [--no-build] models|summary|train|evaluate|export|draw [options]; dsl COMMAND --help";
if (rest.Count == 0 || rest[0] is "--help" or "-h" or "-?")
{
    Console.WriteLine("dsl: the command line for the networks declared in your project (builds it, then runs the command).");
    Console.WriteLine(Usage);
    Console.WriteLine("  --project PATH        the .csproj (or its folder) declaring the networks; default: the one in the current folder");
    Console.WriteLine("  --assembly PATH       a built .dll instead of a project (nothing is built)");
    Console.WriteLine("  --configuration NAME  the build configuration (default Debug)");
    Console.WriteLine("  --no-build            use the project's last build");
    return rest.Count == 0 ? 2 : 0;
}

NetworkCatalog catalog;
string where;
try
{
    (catalog, where) = ProjectNetworks.Load(new ProjectOptions(project, assembly, configuration, noBuild), Console.Error);
}
catch (ProjectException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}

var root = DslCommandLine.Create(catalog, $"The networks of {where}: train, evaluate, export, summary, draw", "dsl");
return DslCommandLine.Run(root, rest.ToArray(), where);

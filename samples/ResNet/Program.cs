using System;
using System.CommandLine;
using System.Linq;
using ResNetSample;

var modelArgument = new Argument<string>("model") { Description = "Network name: " + string.Join(", ", ModelCatalog.All.Select(m => m.Name)) };
var batchOption = new Option<long>("--batch") { Description = "Batch size shown in the shapes", DefaultValueFactory = _ => 1 };
var summary = new Command("summary", "Print the layer summary and parameter count of a network (computed at compile time)") { modelArgument, batchOption };
summary.SetAction(parse =>
{
    var entry = ModelCatalog.Find(parse.GetValue(modelArgument)!);
    Console.Write(entry.Info.Summary(parse.GetValue(batchOption)));
    return 0;
});

var list = new Command("models", "List the networks this sample declares");
list.SetAction(_ =>
{
    foreach (var m in ModelCatalog.All)
    {
        Console.WriteLine($"{m.Name,-18} {m.Info.InputShape,-14} {m.Info.TotalParameters,12:N0} params  {m.Description}");
    }
    return 0;
});

var root = new RootCommand("Networks of the D2L ResNet chapter, declared with Dsl attributes") { summary, list };
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}

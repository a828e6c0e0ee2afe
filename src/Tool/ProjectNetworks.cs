using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Dsl.Cli;
using static TorchSharp.torch;

namespace Dsl.Tool
{
    /// <summary>A problem with the user's project (no project, a failed build, no networks): the message names the project and the fix.</summary>
    public sealed class ProjectException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public ProjectException(string message) : base(message) { }
    }

    /// <summary>Where the tool finds the networks: the project to build (or a built assembly) and how.</summary>
    public sealed record ProjectOptions(string? Project, string? Assembly, string Configuration, bool NoBuild);

    /// <summary>
    /// Builds the user's project, loads its output assembly and lists the networks the generator produced in it (the
    /// classes implementing <see cref="IDeclaredNetwork"/> with a static <c>Info</c>), as a <see cref="NetworkCatalog"/>.
    /// </summary>
    public static class ProjectNetworks
    {
        /// <summary>The catalogue of the networks declared in the project or assembly <paramref name="options"/> name.</summary>
        /// <exception cref="ProjectException">No project, the build failed, or no network is declared.</exception>
        public static (NetworkCatalog Catalog, string Where) Load(ProjectOptions options, TextWriter log)
        {
            string assemblyPath, where;
            if (options.Assembly is string given)
            {
                assemblyPath = Path.GetFullPath(given);
                where = Path.GetFileName(assemblyPath);
                if (!File.Exists(assemblyPath))
                    throw new ProjectException($"{given} does not exist: pass --assembly the .dll your project builds (bin/<configuration>/<framework>/<name>.dll), or --project to build it.");
            }
            else
            {
                string project = FindProject(options.Project);
                where = "project " + Path.GetFileNameWithoutExtension(project);
                if (!options.NoBuild) Build(project, options.Configuration, log);
                assemblyPath = TargetPath(project, options.Configuration);
                if (!File.Exists(assemblyPath))
                    throw new ProjectException($"{where} has no build output at {assemblyPath}: build it (dotnet build {project} -c {options.Configuration}), or run without --no-build.");
            }
            return (Catalog(LoadAssembly(assemblyPath), where), where);
        }

        /// <summary>The .csproj to use: the one given (a file or a folder holding one), or the one in the current folder.</summary>
        public static string FindProject(string? project)
        {
            string path = Path.GetFullPath(project ?? Directory.GetCurrentDirectory());
            if (File.Exists(path)) return path;
            if (!Directory.Exists(path))
                throw new ProjectException($"{project} does not exist: pass --project a .csproj file or the folder that holds it.");
            var found = Directory.GetFiles(path, "*.csproj");
            return found.Length switch
            {
                1 => found[0],
                0 => throw new ProjectException($"{path} holds no .csproj: run dsl in your project's folder, or pass --project PATH (or --assembly a built .dll)."),
                _ => throw new ProjectException($"{path} holds {found.Length} projects ({string.Join(", ", found.Select(Path.GetFileName))}): pass --project with one of them."),
            };
        }

        private static void Build(string project, string configuration, TextWriter log)
        {
            log.WriteLine($"building {project} ({configuration})...");
            var (code, output) = Dotnet("build", project, "-c", configuration, "-nologo", "-v:q", "-clp:NoSummary");
            if (code != 0)
            {
                var errors = output.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).Distinct().Take(20).ToList();
                throw new ProjectException($"building project {Path.GetFileNameWithoutExtension(project)} failed ({project}):\n" +
                    string.Join("\n", errors.Count > 0 ? errors : output.Split('\n').TakeLast(20)) +
                    "\nfix the errors above (dotnet build shows them all), or pass --assembly a .dll built before.");
            }
        }

        private static string TargetPath(string project, string configuration)
        {
            var (code, output) = Dotnet("msbuild", project, "-getProperty:TargetPath", "-p:Configuration=" + configuration, "-nologo");
            string path = output.Trim();
            if (code != 0 || path.Length == 0)
                throw new ProjectException($"could not read the output path of {project} (dotnet msbuild -getProperty:TargetPath failed):\n{output.Trim()}");
            return path;
        }

        private static (int Code, string Output) Dotnet(params string[] arguments)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in arguments) start.ArgumentList.Add(a);
            using var process = Process.Start(start) ?? throw new ProjectException("could not start dotnet: is the .NET SDK on the PATH?");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, output.Result + error.Result);
        }

        /// <summary>
        /// Loads the user's assembly; its own dependencies (project references, packages copied to its output) and the
        /// native LibTorch of its backend package are looked up in its output folder.
        /// </summary>
        public static Assembly LoadAssembly(string path)
        {
            string folder = Path.GetDirectoryName(path)!;
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                string candidate = Path.Combine(folder, name.Name + ".dll");
                return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
            };
            // The project's backend is loaded before TorchSharp looks for one, by full path, in dependency order: TorchSharp
            // asks the system loader for torch_cpu by name, which finds any other libtorch first (Debian's python3-torch
            // puts one in /usr/lib), and the libraries then resolve each other by name to these.
            // Without a backend package the output holds TorchSharp's LibTorchSharp but no libtorch: nothing is loaded, and
            // the first command that needs TorchSharp reports the missing package (TorchNative.Explain).
            if (NativeCandidates(folder, "torch_cpu").Any(File.Exists))
            {
                foreach (var library in new[] { "c10", "torch_cpu", "torch", "LibTorchSharp" })
                {
                    if (NativeCandidates(folder, library).FirstOrDefault(File.Exists) is string file) NativeLibrary.TryLoad(file, out _);
                }
            }
            AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, name) =>
                NativeCandidates(folder, name).FirstOrDefault(File.Exists) is string file ? NativeLibrary.Load(file) : IntPtr.Zero;
            return AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        }

        /// <summary>Where a backend package puts its native libraries in a build output: the folder itself and runtimes/RID/native.</summary>
        public static IEnumerable<string> NativeLibraryFolders(string folder) =>
            new[] { folder, Path.Combine(folder, "runtimes", RuntimeInformation.RuntimeIdentifier, "native") }
                .Concat(Directory.Exists(Path.Combine(folder, "runtimes"))
                    ? Directory.GetDirectories(Path.Combine(folder, "runtimes")).Where(d => Path.GetFileName(d).EndsWith("-" + RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(), StringComparison.Ordinal)).Select(d => Path.Combine(d, "native"))
                    : Enumerable.Empty<string>())
                .Distinct();

        private static IEnumerable<string> NativeCandidates(string folder, string name) =>
            NativeLibraryFolders(folder).SelectMany(dir => new[] { name, "lib" + name + ".so", name + ".so", "lib" + name + ".dylib", name + ".dylib", name + ".dll" }
                .Select(file => Path.Combine(dir, file)));

        /// <summary>
        /// The networks of <paramref name="assembly"/>: generated classes (they implement <see cref="IDeclaredNetwork"/> and
        /// have a static <c>Info</c>) with a public parameterless constructor, named by class name (by full name where two
        /// share one).
        /// </summary>
        public static NetworkCatalog Catalog(Assembly assembly, string where)
        {
            Type[] types;
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                types = e.Types.Where(t => t is not null).ToArray()!;
            }
            var networks = types
                .Where(t => t is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false } && typeof(IDeclaredNetwork).IsAssignableFrom(t)
                            && typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null
                            && t.GetProperty("Info", BindingFlags.Public | BindingFlags.Static)?.PropertyType == typeof(NetworkInfo))
                .OrderBy(t => t.FullName, StringComparer.Ordinal)
                .ToList();
            if (networks.Count == 0)
            {
                bool referencesDsl = assembly.GetReferencedAssemblies().Any(a => a.Name == "Dsl.Attributes");
                throw new ProjectException(referencesDsl
                    ? $"{where} declares no networks: a network is a partial class with [Input] and layer attributes, e.g. [Input(1, 28, 28)] [Flatten] [Linear(10)] public partial class Net; (README, \"Use it in your project\")."
                    : $"{where} does not use Dsl: add the packages (dotnet add package Dsl; dotnet add package Dsl.Runtime; dotnet add package TorchSharp-cpu) and declare a network (README, \"Use it in your project\").");
            }
            var shared = networks.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            var entries = networks.Select(t =>
            {
                var info = (NetworkInfo)t.GetProperty("Info", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
                string name = shared.Contains(t.Name) ? t.FullName! : t.Name;
                return new ModelEntry(name, t.FullName!, () => (nn.Module<Tensor, Tensor>)Activator.CreateInstance(t, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DoNotWrapExceptions, null, null, null)!, info);
            }).ToList();
            return new NetworkCatalog(entries, entries.Count == 1 ? entries[0].Name : null, where);
        }
    }
}

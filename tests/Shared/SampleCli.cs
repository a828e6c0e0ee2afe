using System;
using System.IO;
using ResNetSample;

namespace Dsl.Tests.Shared
{
    /// <summary>
    /// Runs the sample's command line through its real entry point in this process, capturing what it prints.
    /// Linked into the test projects that exercise the CLI (they must not run it concurrently: the console is global).
    /// </summary>
    internal static class SampleCli
    {
        public static (int ExitCode, string Output, string Error) Run(params string[] args)
        {
            var entry = typeof(ModelCatalog).Assembly.EntryPoint!;
            var (oldOut, oldError) = (Console.Out, Console.Error);
            var (output, error) = (new StringWriter(), new StringWriter());
            Console.SetOut(output);
            Console.SetError(error);
            try
            {
                var code = (int)entry.Invoke(null, new object[] { args })!;
                return (code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldError);
            }
        }
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using Dsl.Runtime.Training;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// The test assembly doubles as a small training program, which <see cref="CrashTests"/> starts and kills:
    /// <c>dotnet Dsl.Runtime.Tests.dll train-child DIR PAUSE</c> trains a tiny MLP for 4 epochs on 256 images (8 batches each) into DIR,
    /// resuming whatever DIR holds. PAUSE makes it stop at a known point, print "PAUSED" and wait to be killed:
    /// <c>none</c>, <c>batch:N</c> (the N-th batch this process trains) or <c>write:FILE:N</c> (64 bytes into the
    /// N-th write of FILE, e.g. checkpoint.ckpt, i.e. inside the atomic write). Without arguments it does nothing
    /// (the test runner never calls it).
    /// </summary>
    public static class CrashHost
    {
        public const string Command = "train-child";
        public const string StartedLine = "STARTED";
        public const string PausedLine = "PAUSED";

        public static int Main(string[] args)
        {
            if (args.Length != 3 || args[0] != Command) return 0;
            var pause = new PausePoint(args[2]);
            var device = DeviceSetup.Create("cpu", threads: 1, seed: 7);
            var (train, test) = Mnist.Load(TestData.FashionSubset, MnistVariant.FashionMnist);
            using (train)
            using (test)
            using (var small = train.Take(256))
            using (var val = test.Take(64))
            using (var model = CallbackTests.Mlp(7))
            {
                Console.WriteLine(StartedLine);
                Console.Out.Flush();
                var options = CallbackTests.Options(args[1]) with
                {
                    Epochs = 4,
                    BatchSize = 32,
                    ReadEveryBatches = 1,
                    Schedule = LrScheduleKind.OneCycle,
                    Plot = true,
                    Resume = true,
                    Device = device,
                    Callbacks = new[] { pause },
                    WriteFilter = pause.Filter,
                };
                try
                {
                    Trainer.Fit(model, small, val, options);
                    return 0;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or TrainingDivergedException or ArgumentException)
                {
                    Console.Error.WriteLine("error: " + e.Message);
                    return 2;
                }
            }
        }

        private sealed class PausePoint : TrainingCallback
        {
            private readonly string[] _spec;
            private readonly Dictionary<string, int> _writes = new();
            private int _batches;

            public PausePoint(string spec) => _spec = spec.Split(':');

            public override void OnBatchEnd(TrainingContext context, BatchProgress progress)
            {
                if (_spec[0] == "batch" && ++_batches == int.Parse(_spec[1])) Pause();
            }

            public Stream Filter(string path, Stream stream)
            {
                string name = Path.GetFileName(path);
                int count = _writes[name] = _writes.GetValueOrDefault(name) + 1;
                bool here = _spec[0] == "write" && _spec[1] == name && int.Parse(_spec[2]) == count;
                return here ? new FaultStream(stream, 64, Pause) : stream;
            }

            private static void Pause()
            {
                Console.WriteLine(PausedLine);
                Console.Out.Flush();
                Thread.Sleep(Timeout.Infinite);
            }
        }
    }
}

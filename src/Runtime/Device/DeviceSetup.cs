using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Device
{
    /// <summary>What the user asked for: <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public readonly record struct DeviceChoice(DeviceChoiceKind Kind, int Index)
    {
        /// <summary>Parses <c>auto | cpu | cuda | cuda:N</c> (case-insensitive).</summary>
        /// <exception cref="ArgumentException">The text is none of these.</exception>
        public static DeviceChoice Parse(string text)
        {
            string t = (text ?? "").Trim().ToLowerInvariant();
            switch (t)
            {
                case "auto": return new DeviceChoice(DeviceChoiceKind.Auto, 0);
                case "cpu": return new DeviceChoice(DeviceChoiceKind.Cpu, 0);
                case "cuda": case "gpu": return new DeviceChoice(DeviceChoiceKind.Cuda, 0);
            }
            if (t.StartsWith("cuda:", StringComparison.Ordinal)
                && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                return new DeviceChoice(DeviceChoiceKind.Cuda, index);
            throw new ArgumentException($"Unknown device '{text}': expected auto, cpu, cuda or cuda:N (N = GPU index, e.g. cuda:1).", nameof(text));
        }

        /// <inheritdoc/>
        public override string ToString() => Kind switch
        {
            DeviceChoiceKind.Auto => "auto",
            DeviceChoiceKind.Cpu => "cpu",
            _ => "cuda:" + Index.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Kinds of device choice.</summary>
    public enum DeviceChoiceKind
    {
        /// <summary>CUDA when available, else CPU.</summary>
        Auto,
        /// <summary>The CPU.</summary>
        Cpu,
        /// <summary>An NVIDIA GPU.</summary>
        Cuda,
    }

    /// <summary>
    /// The device, thread count and seed of a run. Create it once at start-up, before the model,
    /// so the model's initial weights come from the seed. The model's parameters stay float32 on every device; mixed
    /// precision is the run's <see cref="Training.TrainOptions.Precision"/> (see <see cref="Autocast.MixedPrecision"/>).
    /// </summary>
    public sealed class DeviceSetup
    {
        /// <summary>The message used when CUDA is requested and not available.</summary>
        public const string CudaUnavailableMessage =
            "CUDA requested but TorchSharp's CUDA backend is not loaded: build with -p:TorchBackend=cuda on a machine with an NVIDIA driver";

        private DeviceSetup(torch.Device device, int threads, long seed)
        {
            Device = device;
            Threads = threads;
            Seed = seed;
        }

        /// <summary>The resolved device (cpu or cuda:N).</summary>
        public torch.Device Device { get; }

        /// <summary>Intra-op threads torch uses.</summary>
        public int Threads { get; }

        /// <summary>The one seed for torch's generator and the data order.</summary>
        public long Seed { get; }

        /// <summary>True when the device is a CUDA GPU.</summary>
        public bool IsCuda => Device.type == DeviceType.CUDA;

        /// <summary>
        /// Loads TorchSharp, resolves the device, sets the thread count and seeds torch.
        /// </summary>
        /// <param name="device"><c>auto | cpu | cuda | cuda:N</c>.</param>
        /// <param name="threads">Intra-op threads; 0 keeps torch's default (one per core); at most <see cref="MaxThreads"/>.</param>
        /// <param name="seed">Seed for torch and for the data order.</param>
        /// <exception cref="InvalidOptionException"><paramref name="threads"/> is negative or above <see cref="MaxThreads"/>.</exception>
        public static DeviceSetup Create(string device = "auto", int threads = 0, long seed = 42)
        {
            CheckThreads(threads);
            var choice = DeviceChoice.Parse(device);
            TorchNative.EnsureLoaded();
            bool cuda = torch.cuda.is_available();
            int count = cuda ? torch.cuda.device_count() : 0;
            var resolved = Resolve(choice, cuda, count);
            if (threads > 0) torch.set_num_threads(threads);
            torch.manual_seed(seed);
            var dev = resolved.Kind == DeviceChoiceKind.Cuda ? new torch.Device(DeviceType.CUDA, resolved.Index) : torch.CPU;
            return new DeviceSetup(dev, torch.get_num_threads(), seed);
        }

        /// <summary>
        /// The most intra-op threads accepted: 4 per processor the OS reports. More only adds switching between
        /// threads that cannot run at once, and a typo (16000 for 16) would otherwise start that many.
        /// </summary>
        public static int MaxThreads => 4 * Environment.ProcessorCount;

        /// <summary>Throws <see cref="InvalidOptionException"/> unless <paramref name="threads"/> is 0 (default) or 1..<see cref="MaxThreads"/>.</summary>
        public static void CheckThreads(int threads)
        {
            if (threads < 0 || threads > MaxThreads)
                throw new InvalidOptionException(nameof(threads),
                    $"0 (one per core) or between 1 and {MaxThreads} (4 x the {Environment.ProcessorCount} processors of this machine)",
                    threads.ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>
        /// Resolves a choice against what is available (pure): auto picks cuda:0 when CUDA is available, else cpu;
        /// an explicit cuda without a CUDA backend, or a GPU index out of range, throws <see cref="InvalidOperationException"/>.
        /// </summary>
        public static DeviceChoice Resolve(DeviceChoice choice, bool cudaAvailable, int cudaDeviceCount)
        {
            switch (choice.Kind)
            {
                case DeviceChoiceKind.Auto:
                    return cudaAvailable ? new DeviceChoice(DeviceChoiceKind.Cuda, 0) : new DeviceChoice(DeviceChoiceKind.Cpu, 0);
                case DeviceChoiceKind.Cpu:
                    return choice;
                default:
                    if (!cudaAvailable) throw new InvalidOperationException(CudaUnavailableMessage);
                    if (choice.Index >= cudaDeviceCount)
                        throw new InvalidOperationException($"{choice} requested but this machine has {cudaDeviceCount} CUDA device(s) (cuda:0 to cuda:{cudaDeviceCount - 1}).");
                    return choice;
            }
        }

        /// <summary>One line for logs: <c>device: cpu, threads: 2, seed: 42</c>.</summary>
        public string Report() =>
            $"device: {Device}, threads: {Threads}, seed: {Seed}";

        /// <summary>Moves the model to the device.</summary>
        public T Prepare<T>(T model) where T : nn.Module
        {
            model.to(Device);
            return model;
        }

        /// <summary>Moves an input batch to the device.</summary>
        public Tensor PrepareInput(Tensor x) => x.to(Device);

        /// <summary>
        /// Throws <see cref="PrecisionNotSupportedException"/> when this device cannot run <paramref name="precision"/>
        /// fast (<see cref="PrecisionSupport.Check"/> with this CPU's instruction sets).
        /// </summary>
        public void CheckPrecision(Precision precision) => PrecisionSupport.Check(precision, IsCuda, IsCuda ? null : PrecisionSupport.CpuFlags());

        /// <inheritdoc/>
        public override string ToString() => Report();
    }
}

namespace Dsl.Runtime.Device
{
    /// <summary>
    /// A precision the device cannot run fast (bf16 on a CPU without bf16 instructions, fp16 on the CPU). The message
    /// names what is missing and what to do instead.
    /// </summary>
    public sealed class PrecisionNotSupportedException : NotSupportedException
    {
        internal PrecisionNotSupportedException(Precision precision, string message) : base(message) => Precision = precision;

        /// <summary>The precision that was asked for.</summary>
        public Precision Precision { get; }
    }

    /// <summary>
    /// Which precisions a device runs: float32 everywhere; bf16 on CUDA and on CPUs with AVX512-BF16 or AMX-BF16
    /// (elsewhere libtorch emulates bfloat16, slower than float32); fp16 on CUDA only. The CPU's instruction sets come
    /// from <c>/proc/cpuinfo</c>'s flags; <see cref="Check"/> takes them as an argument so the rule is testable anywhere.
    /// </summary>
    public static class PrecisionSupport
    {
        /// <summary>The cpuinfo flags that give a CPU bfloat16 arithmetic: AVX512-BF16 and AMX-BF16.</summary>
        public static IReadOnlyList<string> Bf16Flags { get; } = new[] { "avx512_bf16", "amx_bf16" };

        /// <summary>The instruction sets the benchmarks and messages report, as cpuinfo names them.</summary>
        public static IReadOnlyList<string> ReportedFlags { get; } = new[] { "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8" };

        /// <summary>The flags of this machine's CPU (from <c>/proc/cpuinfo</c>), or null where that file does not exist (not Linux).</summary>
        public static IReadOnlySet<string>? CpuFlags() =>
            File.Exists("/proc/cpuinfo") ? ParseCpuInfo(File.ReadAllText("/proc/cpuinfo")) : null;

        /// <summary>The flags of the first processor in a <c>/proc/cpuinfo</c> text (the <c>flags</c> line), or null when it has none.</summary>
        public static IReadOnlySet<string>? ParseCpuInfo(string cpuinfo)
        {
            foreach (var line in cpuinfo.Split('\n'))
            {
                int colon = line.IndexOf(':');
                if (colon < 0 || line[..colon].Trim() != "flags") continue;
                return line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            }
            return null;
        }

        /// <summary>One line for benchmarks and logs: <c>avx2, fma, avx512f, avx512_vnni, avx512_bf16; no avx_vnni, amx_tile, amx_bf16, amx_int8</c>.</summary>
        public static string Describe(IReadOnlySet<string>? flags)
        {
            if (flags is null) return "unknown (no /proc/cpuinfo)";
            var has = ReportedFlags.Where(flags.Contains).ToList();
            var lacks = ReportedFlags.Where(f => !flags.Contains(f)).ToList();
            return (has.Count > 0 ? string.Join(", ", has) : "none of " + string.Join(", ", ReportedFlags)) + (lacks.Count > 0 && has.Count > 0 ? "; no " + string.Join(", ", lacks) : "");
        }

        /// <summary>
        /// Throws <see cref="PrecisionNotSupportedException"/> when <paramref name="precision"/> does not run on the
        /// device: fp16 anywhere but CUDA; bf16 on a CPU whose <paramref name="cpuFlags"/> have neither avx512_bf16 nor
        /// amx_bf16. Unknown flags (null: not Linux) are not refused.
        /// </summary>
        public static void Check(Precision precision, bool cuda, IReadOnlySet<string>? cpuFlags)
        {
            if (precision == Precision.Float32 || cuda) return;
            if (precision == Precision.Float16)
                throw new PrecisionNotSupportedException(precision,
                    "fp16 mixed precision needs a CUDA device: libtorch has no fast float16 kernels for the CPU. On the CPU use bf16 (--precision bf16, Precision.BFloat16) where it has AVX512-BF16 or AMX, else float32.");
            if (cpuFlags is not null && !Bf16Flags.Any(cpuFlags.Contains))
                throw new PrecisionNotSupportedException(precision,
                    "bf16 mixed precision needs a CPU with the AVX512-BF16 or AMX-BF16 instruction set (cpuinfo flag avx512_bf16 or amx_bf16), and this CPU has neither: "
                    + "libtorch would emulate bfloat16 and run slower than float32. Train in float32 (--precision float32, Precision.Float32), "
                    + "or use a CPU that has them (Intel Xeon from Cooper Lake or Sapphire Rapids on, AMD from Zen 4 on) or a CUDA GPU.");
        }
    }
}

using System.Collections.Concurrent;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Runtime.Autocast
{
    /// <summary>
    /// A model's 4-d parameters (the convolutions' weights), their gradients and the optimizer's state for them
    /// re-laid out channels-last in place until disposed, as PyTorch's <c>model.to(memory_format=torch.channels_last)</c>:
    /// a channels-last network then uses its weights as they are (a bf16 cast keeps the layout) instead of copying
    /// each into channels-last strides every step, its weight gradients arrive in the parameters' layout, and the
    /// optimizer's buffers follow (BENCHMARKS.md, 3d). The tensors stay the same objects (<c>set_</c> swaps their
    /// storage), so the optimizer keeps its parameters and their state.
    /// </summary>
    /// <remarks>
    /// TorchSharp 0.107 writes only contiguous tensors (<c>Module.save</c>, an optimizer's <c>save_state_dict</c>), and
    /// everything outside the training epoch (evaluation, checkpoints, export, prediction) expects PyTorch's default
    /// layout: disposing lays every tensor back out contiguously, and <see cref="Contiguous"/> does so for a while
    /// (a checkpoint written in the middle of an epoch). Copies change no value, so a checkpoint holds the bytes a
    /// contiguous run with the same values writes.
    /// </remarks>
    public sealed class ChannelsLastParameters : IDisposable
    {
        private readonly nn.Module _model;
        private readonly optim.Optimizer? _optimizer;
        private bool _channelsLast;

        private ChannelsLastParameters(nn.Module model, optim.Optimizer? optimizer)
        {
            _model = model;
            _optimizer = optimizer;
        }

        /// <summary>
        /// Lays out <paramref name="model"/>'s floating 4-d parameters, their gradients and <paramref name="optimizer"/>'s
        /// 4-d state tensors channels-last until the result is disposed.
        /// </summary>
        public static ChannelsLastParameters LayOut(nn.Module model, optim.Optimizer? optimizer = null)
        {
            var layout = new ChannelsLastParameters(model, optimizer);
            layout.Set(channelsLast: true);
            return layout;
        }

        /// <summary>The tensors laid out contiguously until the result is disposed, then channels-last again.</summary>
        public IDisposable Contiguous()
        {
            if (!_channelsLast) return new Undo(() => { });
            Set(channelsLast: false);
            return new Undo(() => Set(channelsLast: true));
        }

        /// <summary>Lays every tensor back out contiguously.</summary>
        public void Dispose()
        {
            if (_channelsLast) Set(channelsLast: false);
        }

        private void Set(bool channelsLast)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            foreach (var t in Tensors()) Relayout(t, channelsLast);
            _channelsLast = channelsLast;
        }

        /// <summary>
        /// The parameters with 4-d shapes, their gradients, and the optimizer's state tensors that have 4 dimensions
        /// (SGD's momentum, Adam's moments): read anew each time, as the optimizer creates its state at its first step.
        /// </summary>
        private IEnumerable<Tensor> Tensors()
        {
            foreach (var p in _model.parameters())
            {
                if (p.dim() != 4) continue;
                yield return p;
                if (p.grad is { } g) yield return g;
            }
            if (_optimizer is not OptimizerHelper helper) yield break;
            foreach (var state in helper.state_dict().State)
                foreach (var field in StateFields(state.GetType()))
                    if (field.GetValue(state) is Tensor t && !t.IsInvalid) yield return t;
        }

        private static void Relayout(Tensor t, bool channelsLast)
        {
            if (t.dim() != 4 || !t.is_floating_point()) return;
            if (channelsLast ? ChannelsLast.Is(t) : t.is_contiguous()) return;
            using var copy = channelsLast ? ChannelsLast.Of(t.detach()) : t.detach().contiguous();
            t.set_(copy);
        }

        /// <summary>The tensor fields of an optimizer's per-parameter state type (<c>momentum_buffer</c>, <c>exp_avg</c>, ...), found once per type.</summary>
        private static FieldInfo[] StateFields(Type type) => FieldsByType.GetOrAdd(type, t =>
            t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Where(f => f.FieldType == typeof(Tensor)).ToArray());

        private static readonly ConcurrentDictionary<Type, FieldInfo[]> FieldsByType = new();

        private sealed class Undo : IDisposable
        {
            private Action? _action;
            public Undo(Action action) => _action = action;
            public void Dispose()
            {
                _action?.Invoke();
                _action = null;
            }
        }
    }
}

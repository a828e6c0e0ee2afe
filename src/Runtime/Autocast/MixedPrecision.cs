using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Runtime.Autocast
{
    /// <summary>
    /// Mixed precision for TorchSharp, which has no autocast: <see cref="Enable"/> applies a network's
    /// <see cref="AutocastPlan"/> to the module with forward hooks, for as long as the returned scope lives (as
    /// PyTorch's <c>with torch.autocast(...)</c>). The weights stay float32 (master weights: the optimizer, gradient
    /// clipping and checkpoints see only them).
    /// </summary>
    /// <remarks>
    /// A layer on the lower-precision list casts its floating input to the 16-bit type, and for the length of its
    /// forward its weight and bias fields point at 16-bit casts of the float32 parameters (autocast's
    /// <c>cached_cast</c>): the cast is an autograd operation, so the backward pass delivers float32 gradients to the
    /// float32 parameters. A layer on the float32 list gets float32 inputs; every other layer runs in the type it
    /// receives. The trainer computes the loss in float32. TorchSharp's layers keep their weights in private fields,
    /// which the hooks set by reflection (<see cref="WeightFields"/>); this library's own layers with weights
    /// (<c>MultiheadSelfAttention</c>, <c>FusedSelfAttention</c>, <c>TiedLinear</c>; <c>LSTM</c> and <c>GRU</c> get float32) use their
    /// weights in their input's type themselves (<c>Dsl.Layers.InputType</c>).
    /// </remarks>
    public static class MixedPrecision
    {
        private static readonly ConditionalWeakTable<nn.Module, object> Active = new();

        /// <summary>The 16-bit type of <paramref name="precision"/>.</summary>
        /// <exception cref="ArgumentException"><paramref name="precision"/> is float32.</exception>
        public static ScalarType LowerType(Precision precision) => precision switch
        {
            Precision.BFloat16 => ScalarType.BFloat16,
            Precision.Float16 => ScalarType.Float16,
            _ => throw new ArgumentException("float32 has no lower-precision type.", nameof(precision)),
        };

        /// <summary>
        /// Runs <paramref name="model"/> in <paramref name="precision"/> mixed precision until the result is disposed,
        /// following the lists of the device its parameters are on. Float32 changes nothing; a model that is already
        /// under mixed precision stays under its outer scope.
        /// </summary>
        /// <exception cref="InvalidOperationException">A module of the network's graph is not in the model (it was changed after it was built).</exception>
        /// <remarks>
        /// With <paramref name="channelsLast"/> the network runs in the channels-last memory format
        /// (<see cref="ChannelsLast"/>), in float32 too: a 4-d input is converted as it enters, and every layer with a 4-d
        /// weight (the convolutions) gets it as a channels-last copy, in the layer's type, for the length of its
        /// forward (one copy, as the cast it replaces). The parameters themselves keep their layout, so the optimizer,
        /// its state and checkpoints see what a contiguous run has. Parameters already laid out channels-last
        /// (<see cref="ChannelsLastParameters"/>, as the trainer does for each epoch) are used as they are: no copy.
        /// </remarks>
        public static IDisposable Enable(nn.Module model, Precision precision, bool channelsLast = false)
        {
            if ((precision == Precision.Float32 && !channelsLast) || Active.TryGetValue(model, out _)) return NoScope.Instance;
            if (channelsLast && model is not nn.Module<Tensor, Tensor>)
                throw new NotSupportedException($"{model.GetType().Name} does not take one tensor, so channels-last cannot convert its input.");
            var device = model.parameters().FirstOrDefault()?.device_type == DeviceType.CUDA ? AutocastDevice.Cuda : AutocastDevice.Cpu;
            return new Scope(model, precision == Precision.Float32 ? null : AutocastPlan.For(model, precision, device), channelsLast);
        }

        /// <summary>The fields of a TorchSharp layer type that hold its parameters (<c>_weight</c>, <c>_bias</c>), found once per type.</summary>
        internal static FieldInfo[] WeightFields(Type type) => FieldsByType.GetOrAdd(type, t =>
        {
            var fields = new List<FieldInfo>();
            for (var c = t; c is not null && c.Assembly == typeof(nn.Module).Assembly; c = c.BaseType)
                fields.AddRange(c.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly)
                    .Where(f => typeof(Parameter).IsAssignableFrom(f.FieldType)));
            return fields.ToArray();
        });

        private static readonly ConcurrentDictionary<Type, FieldInfo[]> FieldsByType = new();

        internal static Tensor Cast(Tensor x, ScalarType type) => x.is_floating_point() && x.dtype != type ? x.to(type) : x;

        private sealed class NoScope : IDisposable
        {
            public static readonly NoScope Instance = new();
            public void Dispose() { }
        }

        /// <summary>The hooks of one <see cref="Enable"/> call; disposing removes them and puts every float32 weight back.</summary>
        private sealed class Scope : IDisposable
        {
            private readonly nn.Module _model;
            private readonly List<Action> _undo = new();

            public Scope(nn.Module model, AutocastPlan? plan, bool channelsLast)
            {
                _model = model;
                var byPath = model.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
                byPath[""] = model;
                var swapped = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
                if (plan is not null) ApplyPlan(plan, byPath, swapped, channelsLast);
                if (channelsLast)
                {
                    // Float32 layers with 4-d weights (every convolution in float32; a convolution on the float32 list
                    // under mixed precision) get channels-last copies of them; the input enters channels-last.
                    foreach (var (path, found) in byPath)
                    {
                        if (swapped.Contains(found) || found is not nn.Module<Tensor, Tensor> module) continue;
                        var fields = WeightFields(module.GetType());
                        if (!fields.Any(f => f.GetValue(module) is Parameter p && p.dim() == 4)) continue;
                        Swap(module, fields, ScalarType.Float32, channelsLast: true, castInput: false);
                    }
                    var root = (nn.Module<Tensor, Tensor>)model;
                    var enter = root.register_forward_pre_hook((_, x) => x.is_floating_point() ? ChannelsLast.Of(x) : x);
                    _undo.Add(enter.remove);
                }
                Active.Add(model, this);
            }

            /// <summary>Applies the casts of <paramref name="plan"/>.</summary>
            private void ApplyPlan(AutocastPlan plan, Dictionary<string, nn.Module> byPath, HashSet<nn.Module> swapped, bool channelsLast)
            {
                var model = _model;
                var low = LowerType(plan.Precision);
                foreach (var entry in plan.Modules)
                {
                    if (entry.Policy is not (CastPolicy.LowerPrecision or CastPolicy.Float32)) continue;
                    if (!byPath.TryGetValue(entry.Path, out var found))
                        throw new InvalidOperationException($"{model.GetType().Name} has no module '{entry.Path}' ({entry.Kind}), which its graph has: mixed precision follows the graph, so the module must not be changed after it is built.");
                    if (found is not nn.Module<Tensor, Tensor> module)
                        throw new NotSupportedException($"'{entry.Path}' ({found.GetType().Name}) does not take one tensor, so mixed precision cannot cast its input.");
                    if (entry.Policy == CastPolicy.Float32)
                    {
                        var hook = module.register_forward_pre_hook((_, x) => Cast(x, ScalarType.Float32));
                        _undo.Add(hook.remove);
                        continue;
                    }
                    Swap(module, WeightFields(module.GetType()), low, channelsLast, castInput: true);
                    swapped.Add(module);
                }
            }

            /// <summary>Hooks <paramref name="module"/> to run with its weights (and, with <paramref name="castInput"/>, its input) in <paramref name="type"/>.</summary>
            private void Swap(nn.Module<Tensor, Tensor> module, FieldInfo[] fields, ScalarType type, bool channelsLast, bool castInput)
            {
                var swap = new WeightSwap(module, fields);
                var pre = module.register_forward_pre_hook((_, x) =>
                {
                    swap.CastTo(type, channelsLast);
                    return castInput ? MixedPrecision.Cast(x, type) : x;
                });
                var post = module.register_forward_hook((_, _, result) =>
                {
                    swap.Restore();
                    return result;
                });
                _undo.Add(pre.remove);
                _undo.Add(post.remove);
                _undo.Add(swap.Restore);
            }

            public void Dispose()
            {
                foreach (var undo in _undo) undo();
                _undo.Clear();
                Active.Remove(_model);
            }
        }

        /// <summary>Points a layer's weight fields at 16-bit casts of its float32 parameters, and back.</summary>
        private sealed class WeightSwap
        {
            private readonly nn.Module _module;
            private readonly FieldInfo[] _fields;
            private readonly Parameter?[] _masters;

            public WeightSwap(nn.Module module, FieldInfo[] fields)
            {
                _module = module;
                _fields = fields;
                _masters = new Parameter?[fields.Length];
            }

            public void CastTo(ScalarType type, bool channelsLast = false)
            {
                Restore(); // a forward that threw left the casts in place
                for (int i = 0; i < _fields.Length; i++)
                {
                    if (_fields[i].GetValue(_module) is not Parameter master || !master.is_floating_point()) continue;
                    bool relayout = channelsLast && master.dim() == 4 && !ChannelsLast.Is(master);
                    if (master.dtype == type && !relayout) continue;
                    _masters[i] = master;
                    // The cast (and copy) is recorded by autograd: the backward pass converts the gradient back to
                    // the float32 parameter, in its layout.
                    var cast = relayout ? ChannelsLast.Of(master, type) : master.to(type);
                    _fields[i].SetValue(_module, new Parameter(cast, master.requires_grad && torch.is_grad_enabled()));
                }
            }

            public void Restore()
            {
                for (int i = 0; i < _fields.Length; i++)
                {
                    if (_masters[i] is not { } master) continue;
                    _fields[i].SetValue(_module, master);
                    _masters[i] = null;
                }
            }
        }
    }
}

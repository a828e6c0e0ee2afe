
namespace Dsl.Generator.Graph
{
    /// <summary>
    /// Builds a network's graph from its declaration: resolves layer names, checks the input and every argument,
    /// then lets each declared layer add itself to the graph (inferring shapes, parameters and multiply-adds).
    /// Pure: no Roslyn symbols, no TorchSharp. The generator emits from the result; the analyzer reports its problems.
    /// </summary>
    internal static class NetworkGraph
    {
        public static NetworkModel Build(NetworkSpec spec, IEnumerable<Problem>? structural = null) => Build(spec, structural, probe: true);

        private static NetworkModel Build(NetworkSpec spec, IEnumerable<Problem>? structural, bool probe)
        {
            var problems = new List<Problem>(structural ?? Array.Empty<Problem>());
            var layers = spec.Layers;
            var names = ResolveNames(layers, problems, spec.Naming, spec.ClassName);
            CheckUserMembers(spec, names, problems);

            var input = spec.Input.Select(d => (long)d).ToEquatableArray();
            bool flowing = true;
            void InputAtLeastOne(string argument, long value)
            {
                if (value >= 1) return;
                problems.Add(Problem.At(ProblemCode.InvalidValue, Problem.InputAttribute, argument, "Input", argument, value, "at least 1"));
                flowing = false;
            }
            var inputNames = NetworkSpec.InputParameterNames(spec.Input.Count);
            for (int d = 0; d < spec.Input.Count; d++) InputAtLeastOne(inputNames[d], spec.Input[d]);
            // Token ids are one sequence per sample: [Input(length, Vocabulary = v)].
            if (spec.Vocabulary < 0 || (spec.Vocabulary > 0 && spec.Input.Count != 1))
            {
                problems.Add(Problem.At(ProblemCode.InvalidValue, Problem.InputAttribute, "Vocabulary", "Input", "Vocabulary", spec.Vocabulary,
                    spec.Vocabulary < 0 ? "at least 1 (token ids), or 0 (real numbers)" : "used with [Input(length, Vocabulary = v)] only: token ids are one sequence per sample"));
                flowing = false;
            }

            int headIndex = -1;
            for (int i = 0; i < layers.Count; i++)
            {
                // An output, or a branch that reads an earlier value (an auxiliary head), may follow the head.
                if (layers[i] is OutputSpec || layers[i].From is not null) continue;
                if (headIndex >= 0) problems.Add(Problem.At(ProblemCode.LayerAfterHead, i, null, names[i], names[headIndex]));
                else if (layers[i].IsHead) headIndex = i;
            }

            // The forward's variables must not hide a layer field (a layer may be called "x" or "input"); inlined blocks'
            // layers, added while building, are checked at the end (Locals.Separate).
            string inputVar = Free(names, "input", "inputs", "input_"), flowVar = Free(names, "x", "h", "y", "x_");
            var blocks = new Dictionary<string, Blocks.BlockDecl>(StringComparer.Ordinal);
            foreach (var block in spec.Blocks) blocks[block.Key] = block;
            var builder = GraphBuilder.ForNetwork(problems, spec.Naming, flowVar, blocks);
            // Several inputs, From, [Merge] and [Output] read values by name: each input and top-level layer is a named value.
            var inputs = Inputs(spec, names, problems, ref inputVar);
            bool named = spec.SeveralInputs || layers.Any(l => l.From is not null || l is OutputSpec or MergeSpec);
            builder.OwnVariables = named;
            builder.Named = new Dictionary<string, Value>(StringComparer.Ordinal);
            foreach (var i in inputs) builder.Named[i.Name] = new Value(i.Var, i.Shape, i.Vocabulary);
            // block_count (the repeated uses in the whole network) is known after one build: a first build counts them.
            if (Blocks.RepeatCounter.Reads(spec.Blocks)) builder.Repeats = new Blocks.RepeatCounter { Total = CountRepeats(spec, layers, names, flowVar, blocks, input) };
            builder.Reserved = new HashSet<string>(names, StringComparer.Ordinal) { spec.ClassName };
            builder.ClassName = spec.ClassName;
            var x = new Value(inputVar, input, spec.Vocabulary);
            builder.NetworkInput = x;
            for (int i = 0; i < layers.Count; i++)
            {
                // Arguments are checked for every layer; shapes flow only up to the first problem.
                int before = problems.Count;
                layers[i].Validate(new Validation(problems, i, names[i]));
                if (!flowing || builder.Failed || problems.Count > before) { flowing = false; continue; }
                builder.BeginAttribute(i);
                x = builder.BuildNamed(layers[i], names[i], x);
            }
            var outputs = problems.Count == 0 ? Outputs(builder, x, layers, names, inputs, problems) : EquatableArray<OutputModel>.Empty;
            if (problems.Count == 0 && named) builder.MarkTraining(outputs);
            var root = builder.Root(spec.ClassName, input, x);
            bool anySize = spec.Vocabulary > 0
                // Token input: any length up to the declared one when no layer depends on it, confirmed by building at shorter lengths.
                ? probe && problems.Count == 0 && SizeAnalysis.LengthFree(root)
                    && SizeAnalysis.ShorterLengths(spec.Input).All(size => Build(spec with { Input = size }, null, probe: false) is { HasErrors: false } other
                        && other.Parameters == root.Parameters)
                : probe && problems.Count == 0 && (SizeAnalysis.PoolsBeforeSizeDependentLayers(root)
                    ? SizeAnalysis.Probes(spec).All(other => Build(other, null, probe: false) is { HasErrors: false } built
                        && built.OutputShape.Equals(root.Output) && built.Parameters == root.Parameters)
                    // Resized to the input's size ([Interpolate]): every output's size is the input's, at every probe too.
                    : SizeAnalysis.ResizesToInput(root, spec, inputVar) && SizeAnalysis.OutputsFollowInput(root.Output, outputs, input)
                        && SizeAnalysis.Probes(spec).All(other => Build(other, null, probe: false) is { HasErrors: false } built
                            && built.Parameters == root.Parameters && SizeAnalysis.OutputsFollowInput(built.OutputShape, built.Outputs, built.InputShape)));
            // Uses of a user block that differ only in numbers share a class (constructor arguments instead of copies).
            // Not for the probes at other sizes, which only need the output shape.
            if (probe && problems.Count == 0) root = Blocks.BlockGeneralizer.Apply(root);
            // Initialisation rules are checked against the finished graph (the modules and parameters they select).
            var init = probe && problems.Count == 0 ? Init.InitRules.Resolve(spec, root, problems) : EquatableArray<Init.InitRuleModel>.Empty;
            // No forward's local may hide a field of its module (an inlined block's layer named like a local, "x_1").
            if (problems.Count == 0)
            {
                var vars = Locals.Separate(ref root, inputs.Select(i => i.Var).ToArray());
                inputs = inputs.Select((i, k) => i with { Var = vars(i.Var) }).ToList();
                outputs = outputs.Select(o => o with { Var = vars(o.Var) }).ToEquatableArray();
                inputVar = inputs[0].Var;
            }
            return new NetworkModel(spec, root, problems.ToEquatableArray(), inputVar, anySize, init)
            {
                OutputsFollowInput = anySize && !SizeAnalysis.PoolsBeforeSizeDependentLayers(root) && spec.Vocabulary == 0,
                Inputs = inputs.ToEquatableArray(),
                Outputs = outputs,
            };
        }

        /// <summary>
        /// The network's inputs: one unnamed <c>[Input]</c> is <paramref name="inputVar"/> (named "input"); with several, each
        /// needs a name of its own, a name in C# and Python that no layer has (DSL051), and only the first may be token ids.
        /// </summary>
        private static List<InputModel> Inputs(NetworkSpec spec, string[] names, List<Problem> problems, ref string inputVar)
        {
            var declared = spec.Inputs.Count > 0 ? spec.Inputs : new EquatableArray<InputDecl>(new[] { new InputDecl(null, spec.Input, spec.Vocabulary) });
            var result = new List<InputModel>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int k = 0; k < declared.Count; k++)
            {
                var d = declared[k];
                int at = declared.Count == 1 ? Problem.InputAttribute : Problem.InputAttributeBase - k;
                string? why = d.Name is null
                    ? (declared.Count > 1 ? "needs a Name: a network with several inputs takes each as a named argument of its forward" : null)
                    : NamePolicy.FieldProblem(d.Name) ?? (Array.IndexOf(names, d.Name) >= 0 ? "is also a layer's name; inputs and layers are read by name, so each needs its own"
                        : !seen.Add(d.Name) ? "names two inputs; give each its own name" : null);
                if (why is not null) problems.Add(Problem.At(ProblemCode.InvalidOutput, at, "Name", d.Name ?? "[Input(" + string.Join(", ", d.Dims) + ")]", why));
                if (k > 0 && d.Vocabulary != 0)
                    problems.Add(Problem.At(ProblemCode.InvalidOutput, at, "Vocabulary", d.Name ?? "input", "is token ids; only the first input may be (one [Embedding] reads it)"));
                for (int i = 0; i < d.Dims.Count; i++)
                    if (k > 0 && d.Dims[i] < 1) problems.Add(Problem.At(ProblemCode.InvalidValue, at, NetworkSpec.InputParameterNames(d.Dims.Count)[i], "Input", NetworkSpec.InputParameterNames(d.Dims.Count)[i], d.Dims[i], "at least 1"));
                string var = declared.Count == 1 && d.Name is null ? inputVar : d.Name ?? "input" + k;
                result.Add(new InputModel(d.Name ?? "input", var, d.Dims.Select(v => (long)v).ToEquatableArray(), d.Vocabulary));
            }
            inputVar = result[0].Var;
            return result;
        }

        /// <summary>
        /// The network's outputs: the declared ones in order, with the main output (the last layer's value) first as
        /// <c>out</c> when none of them is it; none when nothing is declared. Checks that an auxiliary output comes from
        /// layers the main output does not need, and that every input and layer is needed by some output (DSL051).
        /// </summary>
        private static EquatableArray<OutputModel> Outputs(GraphBuilder builder, Value main, EquatableArray<LayerSpec> layers, string[] names, List<InputModel> inputs, List<Problem> problems)
        {
            var declared = builder.Outputs;
            var body = builder.Body;
            if (declared.Count == 0 && !builder.OwnVariables) return EquatableArray<OutputModel>.Empty;
            var outputs = new List<OutputModel>(declared);
            if (!declared.Any(o => o.Var == main.Var && !o.Auxiliary))
            {
                if (declared.FirstOrDefault(o => o.Name == MainOutput) is { } clash)
                    problems.Add(Problem.At(ProblemCode.InvalidOutput, clash.Index, "name", MainOutput, "is the main output's name (the last layer's value) when no output declares it; choose another name"));
                if (declared.Count > 0) outputs.Insert(0, new OutputModel(MainOutput, main.Var, main.Shape, false, 1, -1));
            }
            if (declared.FirstOrDefault(o => o.Var == main.Var && o.Auxiliary) is { } auxMain)
                problems.Add(Problem.At(ProblemCode.InvalidOutput, auxMain.Index, "Auxiliary", auxMain.Name, "is the main output (the last layer's value), which is computed in both modes; remove Auxiliary"));
            var needed = Liveness.Needed(body, outputs.Where(o => !o.Auxiliary).Select(o => o.Var).Append(main.Var), out var readInputs);
            var defined = new HashSet<string>(body.Where((s, i) => needed[i]).Select(s => s.Output), StringComparer.Ordinal);
            foreach (var aux in declared.Where(o => o.Auxiliary && o.Var != main.Var))
            {
                if (defined.Contains(aux.Var) || inputs.Any(i => i.Var == aux.Var))
                    problems.Add(Problem.At(ProblemCode.InvalidOutput, aux.Index, "Auxiliary", aux.Name,
                        "is Auxiliary (computed in training mode only), but the main output needs the value it returns; give it a head of its own that reads that value with From, and make the head's last layer the output"));
            }
            var all = Liveness.Needed(body, outputs.Select(o => o.Var).Append(main.Var), out var allInputs);
            // A layer no output needs would be created, counted and saved, but never run: refused rather than ignored.
            var used = new HashSet<string>(body.Where((s, i) => all[i] && s.Module is not null).Select(s => s.Module!), StringComparer.Ordinal);
            for (int i = 0; i < body.Count; i++)
            {
                if (all[i] || body[i].Module is not { } module || used.Contains(module)) continue;
                int index = Array.IndexOf(names, module);
                problems.Add(Problem.At(ProblemCode.InvalidOutput, index >= 0 ? index : builder.Index, null, module,
                    "is computed by no output's path: read it with From, [Merge] or [Output], or remove it"));
                used.Add(module);
            }
            for (int k = 0; k < inputs.Count; k++)
            {
                if (allInputs.Contains(inputs[k].Var)) continue;
                problems.Add(Problem.At(ProblemCode.InvalidOutput, inputs.Count == 1 ? Problem.InputAttribute : Problem.InputAttributeBase - k, null, inputs[k].Name,
                    "is read by no layer; read it with From = \"" + inputs[k].Name + "\", or remove it"));
            }
            return outputs.ToEquatableArray();
        }

        /// <summary>The main output's name when no [Output] declares it (the key torchvision's segmentation models and IntermediateLayerGetter use).</summary>
        public const string MainOutput = "out";

        /// <summary>How many repeated uses a build of the network makes (for <c>block_count</c>); problems are left to the real build.</summary>
        private static int CountRepeats(NetworkSpec spec, IReadOnlyList<LayerSpec> layers, string[] names, string flowVar, Dictionary<string, Blocks.BlockDecl> blocks, EquatableArray<long> input)
        {
            var builder = GraphBuilder.ForNetwork(new List<Problem>(), spec.Naming, flowVar, blocks);
            builder.Reserved = new HashSet<string>(names, StringComparer.Ordinal) { spec.ClassName };
            builder.ClassName = spec.ClassName;
            builder.Repeats = new Blocks.RepeatCounter();
            var x = new Value("input", input);
            for (int i = 0; i < layers.Count && !builder.Failed; i++)
            {
                builder.BeginAttribute(i);
                x = layers[i].Build(builder, names[i], x);
            }
            return builder.Repeats.Next;
        }

        /// <summary>The first candidate no layer has, else the first with a number that none has (never fails).</summary>
        private static string Free(string[] taken, params string[] candidates) =>
            candidates.FirstOrDefault(c => Array.IndexOf(taken, c) < 0) ?? NamePolicy.Unique(candidates[0], taken);

        /// <summary>A member the user declared with the name of a generated one is reported at the user's member.</summary>
        private static void CheckUserMembers(NetworkSpec spec, string[] names, List<Problem> problems)
        {
            if (spec.UserMembers.Count == 0) return;
            foreach (var member in spec.UserMembers)
            {
                string? what =
                    member == NetworkSpec.Constructor ? "the generated parameterless constructor creates the layers"
                    : Array.IndexOf(names, member) >= 0 ? "it is the field of layer '" + member + "'"
                    : Array.IndexOf(NamePolicy.GeneratedMembers, member) >= 0 ? "a generated member of every network"
                    : null;
                if (what is not null) problems.Add(Problem.At(ProblemCode.MemberClash, Problem.Member, member, member == NetworkSpec.Constructor ? spec.ClassName + "()" : member, spec.ClassName, what));
            }
        }

        /// <summary>Explicit names, or per-kind numbering: conv1, conv2, bn1, stage1..., stem, head.</summary>
        /// <param name="alsoTaken">Names automatic names must avoid too (an inlined block's layers join the module that uses it).</param>
        /// <param name="counters">The last number given to each automatic prefix, shared by the calls that name layers of one
        /// module (inlined blocks): numbering goes on from it rather than trying every taken name again, so a module of n
        /// inlined layers is named in time linear in n. Null: this call's own.</param>
        public static string[] ResolveNames(EquatableArray<LayerSpec> layers, List<Problem> problems, Naming naming = Naming.D2L, string? className = null,
            Func<string, bool>? alsoTaken = null, Dictionary<string, int>? counters = null, bool indices = false)
        {
            var names = new string[layers.Count];
            counters ??= new Dictionary<string, int>(StringComparer.Ordinal);
            var explicitNames = new HashSet<string>(layers.Where(l => l.Name is not null).Select(l => l.Name!), StringComparer.Ordinal);
            bool Taken(string n) => explicitNames.Contains(n) || n == className || (alsoTaken is not null && alsoTaken(n));
            // A member may not have its class's name (CS0542): automatic names skip it, explicit ones are reported.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < layers.Count; i++)
            {
                var layer = layers[i];
                if (layer.Name is { } explicitName)
                {
                    names[i] = explicitName;
                    // A name that is taken in this network (another layer, the class) is suggested with '_' appended too.
                    bool Free(string n) => !Taken(n);
                    // A block class may key children by index (NamePolicy.IsIndex): the field is then _0, _1, ...
                    string? why = (indices && NamePolicy.IsIndex(explicitName) ? null : NamePolicy.FieldProblem(explicitName))
                        ?? (explicitName == className ? "it is the network's class name" : !seen.Add(explicitName) ? "another layer of this network already has it" : null);
                    if (why is not null)
                        problems.Add(Problem.At(ProblemCode.InvalidLayerName, i, "Name", explicitName, NamePolicy.WithSuggestion(why, explicitName, NamePolicy.FieldProblem, Free)));
                    continue;
                }

                // torchvision: conv1, bn1 and layer1.. are numbered from the first; relu, maxpool, avgpool, flatten, fc,
                // stem, head are plain and numbered from the second of their kind.
                var (prefix, numbered) = naming == Naming.TorchVision ? layer.TorchVisionName : (layer.NamePrefix, layer.NumberedName);
                string candidate;
                do
                {
                    counters.TryGetValue(prefix, out int n);
                    counters[prefix] = ++n;
                    // relu6 -> relu6_1, not relu61.
                    candidate = !numbered && n == 1 ? prefix : prefix + (char.IsDigit(prefix[prefix.Length - 1]) ? "_" : "") + n;
                }
                while (Taken(candidate) || seen.Contains(candidate));
                names[i] = candidate;
                seen.Add(candidate);
            }
            return names;
        }
    }
}

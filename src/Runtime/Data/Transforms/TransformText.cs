using System.Globalization;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// Reads transforms written as torchvision code: class names with Python-style arguments (numbers, True/False,
    /// [lists] or (tuples), keyword arguments), separated by <c>;</c>, e.g.
    /// <c>RandomResizedCrop(224); RandomHorizontalFlip(); Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])</c>;
    /// or a preset name: <c>imagenet</c>, <c>cifar</c>, <c>none</c>, optionally with a size (<c>imagenet(160)</c>).
    /// <see cref="Transform.ToString"/> prints the same syntax.
    /// </summary>
    public static class TransformText
    {
        /// <summary>The transforms the text may name.</summary>
        public static IReadOnlyList<string> KnownTransforms { get; } = new[]
        {
            "Resize", "CenterCrop", "RandomResizedCrop", "RandomCrop", "RandomHorizontalFlip", "ColorJitter", "Normalize", "Grayscale", "ImageToSequence",
        };

        private const string Example = "\"RandomResizedCrop(224); RandomHorizontalFlip(); Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])\" or \"cifar\"";

        /// <summary>
        /// Parses a list of transforms (or <c>none</c>) into one transform applied in order.
        /// </summary>
        /// <exception cref="InvalidOptionException">The text names an unknown transform, a preset, or has a syntax or argument error; the message names the token.</exception>
        public static Transform Parse(string text)
        {
            var parser = new Parser(text ?? "");
            var items = parser.Items();
            if (items.Count == 1 && items[0].IsPreset)
            {
                var p = items[0];
                if (p.Name.Equals("none", StringComparison.OrdinalIgnoreCase) && p.Args.Count == 0) return new Compose(Array.Empty<Transform>());
                throw parser.Error(p.Position, p.Name, $"a list of transforms (\"{p.Name}\" is a preset with separate train and eval transforms: use TransformText.ParsePair)");
            }
            return new Compose(items.Select(i => parser.Build(i)).ToArray());
        }

        /// <summary>
        /// Parses the transforms of a training set and of its evaluation set: a preset (<c>imagenet</c>, <c>cifar</c>,
        /// <c>none</c>) at <paramref name="size"/> or at the size in brackets (<c>imagenet(160)</c>), or an explicit list
        /// for training whose evaluation counterpart is <see cref="TransformPresets.EvalCounterpart"/>.
        /// </summary>
        /// <param name="text">The text.</param>
        /// <param name="size">The network's input size, used by presets without a size.</param>
        /// <exception cref="InvalidOptionException">As <see cref="Parse"/>.</exception>
        public static TransformPair ParsePair(string text, int size)
        {
            var parser = new Parser(text ?? "");
            var items = parser.Items();
            if (items.Count == 1 && items[0].IsPreset)
            {
                var p = items[0];
                string name = p.Name.ToLowerInvariant();
                if (name == "none")
                {
                    if (p.Args.Count > 0) throw parser.Error(p.Args[0].Value.Position, p.Args[0].Value.Text, "nothing after \"none\"");
                    return TransformPresets.None;
                }
                int s = size;
                if (p.Args.Count > 1 || (p.Args.Count == 1 && p.Args[0].Name is not (null or "size")))
                    throw parser.Error(p.Args[^1].Value.Position, p.Args[^1].Value.Text, $"one size for the preset, such as {name}(160)");
                if (p.Args.Count == 1) s = parser.Int(p.Args[0].Value, name + " size");
                return name == "imagenet" ? TransformPresets.ImageNet(s) : TransformPresets.Cifar(s);
            }
            var train = new Compose(items.Select(i => parser.Build(i)).ToArray());
            return new TransformPair(train, TransformPresets.EvalCounterpart(train));
        }

        // ---- syntax ------------------------------------------------------------------------------------------------

        private enum Kind { Number, Bool, None, List }

        private sealed class Value
        {
            public Kind Kind;
            public double Number;
            public bool IsInteger;
            public bool Bool;
            public List<Value> Items = new();
            public int Position;
            public string Text = "";
        }

        private sealed record Arg(string? Name, Value Value, int NamePosition);

        private sealed record Item(string Name, List<Arg> Args, int Position)
        {
            public bool IsPreset => TransformPresets.Names.Contains(Name.ToLowerInvariant()) && !KnownTransforms.Contains(Name);
        }

        private sealed class Parser
        {
            private readonly string _text;
            private int _pos;

            public Parser(string text) => _text = text;

            public InvalidOptionException Error(int position, string token, string expected)
            {
                string where = position >= _text.Length ? "at the end" : $"at character {position + 1}";
                string shown = token.Length == 0 ? "nothing" : $"'{token}'";
                return new InvalidOptionException("transforms",
                    $"{expected}; known transforms: {string.Join(", ", KnownTransforms)}; presets: {string.Join(", ", TransformPresets.Names)}; for example {Example}",
                    $"{shown} {where} of \"{_text}\"");
            }

            private void SkipSpace()
            {
                while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
            }

            private char Peek()
            {
                SkipSpace();
                return _pos < _text.Length ? _text[_pos] : '\0';
            }

            // The token at the current position, for messages: a word, a number or one character.
            private string TokenAt(int position)
            {
                if (position >= _text.Length) return "";
                int end = position;
                while (end < _text.Length && (char.IsLetterOrDigit(_text[end]) || _text[end] is '_' or '.' or '-' or '+')) end++;
                return end == position ? _text[position].ToString() : _text[position..end];
            }

            private void Expect(char c, string expected)
            {
                if (Peek() != c) throw Error(_pos, TokenAt(_pos), expected);
                _pos++;
            }

            private string Identifier(string expected)
            {
                SkipSpace();
                int start = _pos;
                if (_pos < _text.Length && (char.IsLetter(_text[_pos]) || _text[_pos] == '_'))
                    while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_')) _pos++;
                if (_pos == start) throw Error(start, TokenAt(start), expected);
                return _text[start.._pos];
            }

            public List<Item> Items()
            {
                var items = new List<Item>();
                if (Peek() == '\0') throw Error(_pos, "", "at least one transform or a preset");
                while (true)
                {
                    SkipSpace();
                    int start = _pos;
                    string name = Identifier("a transform name");
                    var args = new List<Arg>();
                    if (Peek() == '(')
                    {
                        _pos++;
                        while (Peek() != ')')
                        {
                            SkipSpace();
                            int argStart = _pos;
                            string? key = null;
                            if (char.IsLetter(Peek()) || Peek() == '_')
                            {
                                int save = _pos;
                                string word = Identifier("an argument");
                                if (Peek() == '=') { _pos++; key = word; }
                                else _pos = save;
                            }
                            if (key is null && args.Any(a => a.Name is not null))
                                throw Error(argStart, TokenAt(argStart), "a keyword argument (name=value) after keyword arguments, as in Python");
                            args.Add(new Arg(key, ParseValue(), argStart));
                            if (Peek() == ',') { _pos++; continue; }
                            if (Peek() != ')') throw Error(_pos, TokenAt(_pos), $"',' or ')' in the arguments of {name}");
                        }
                        _pos++;
                    }
                    items.Add(new Item(name, args, start));
                    char next = Peek();
                    if (next == '\0') break;
                    if (next != ';') throw Error(_pos, TokenAt(_pos), $"';' between transforms, or '(' after {name}");
                    _pos++;
                    if (Peek() == '\0') break; // a trailing ';'
                }
                return items;
            }

            private Value ParseValue()
            {
                char c = Peek();
                int start = _pos;
                if (c is '[' or '(')
                {
                    char close = c == '[' ? ']' : ')';
                    _pos++;
                    var list = new Value { Kind = Kind.List, Position = start };
                    while (Peek() != close)
                    {
                        list.Items.Add(ParseValue());
                        if (Peek() == ',') { _pos++; continue; }
                        if (Peek() != close) throw Error(_pos, TokenAt(_pos), $"',' or '{close}' in a list");
                    }
                    _pos++;
                    list.Text = _text[start.._pos];
                    return list;
                }
                if (char.IsLetter(c))
                {
                    string word = Identifier("a value");
                    return word switch
                    {
                        "True" => new Value { Kind = Kind.Bool, Bool = true, Position = start, Text = word },
                        "False" => new Value { Kind = Kind.Bool, Bool = false, Position = start, Text = word },
                        "None" => new Value { Kind = Kind.None, Position = start, Text = word },
                        _ => throw Error(start, word, "a value: a number, True, False, None or a [list]"),
                    };
                }
                int end = _pos;
                while (end < _text.Length && (char.IsDigit(_text[end]) || _text[end] is '.' or '-' or '+' or 'e' or 'E')) end++;
                string number = _text[_pos..end];
                if (number.Length == 0 || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw Error(start, number.Length == 0 ? TokenAt(start) : number, "a value: a number, True, False, None or a [list]");
                _pos = end;
                bool isInt = !number.Contains('.') && !number.Contains('e') && !number.Contains('E');
                return new Value { Kind = Kind.Number, Number = v, IsInteger = isInt, Position = start, Text = number };
            }

            // ---- binding ---------------------------------------------------------------------------------------

            private static readonly Dictionary<string, string[]> Parameters = new()
            {
                ["Resize"] = new[] { "size", "antialias" },
                ["CenterCrop"] = new[] { "size", "ignore_index" },
                ["RandomResizedCrop"] = new[] { "size", "scale", "ratio", "antialias" },
                ["RandomCrop"] = new[] { "size", "padding", "pad_if_needed", "fill", "ignore_index" },
                ["RandomHorizontalFlip"] = new[] { "p" },
                ["ColorJitter"] = new[] { "brightness", "contrast", "saturation" },
                ["Normalize"] = new[] { "mean", "std" },
                ["Grayscale"] = new[] { "num_output_channels" },
                ["ImageToSequence"] = Array.Empty<string>(),
            };

            private static readonly HashSet<string> Required = new() { "Resize.size", "CenterCrop.size", "RandomResizedCrop.size", "RandomCrop.size", "Normalize.mean", "Normalize.std" };

            public Transform Build(Item item)
            {
                if (!Parameters.TryGetValue(item.Name, out var names))
                {
                    string? close = KnownTransforms.FirstOrDefault(k => k.Equals(item.Name, StringComparison.OrdinalIgnoreCase));
                    throw Error(item.Position, item.Name, close is not null
                        ? $"a transform name spelled as torchvision does ({close})"
                        : item.IsPreset ? "a transform name (presets stand alone, not in a list)" : "a transform name");
                }
                var bound = new Dictionary<string, Value>();
                for (int i = 0; i < item.Args.Count; i++)
                {
                    var arg = item.Args[i];
                    string name;
                    if (arg.Name is null)
                    {
                        if (i >= names.Length)
                            throw Error(arg.Value.Position, arg.Value.Text, $"at most {names.Length} argument(s) for {item.Name}({string.Join(", ", names)})");
                        name = names[i];
                    }
                    else
                    {
                        name = arg.Name;
                        if (!names.Contains(name))
                            throw Error(arg.NamePosition, name, $"an argument of {item.Name}: {string.Join(", ", names)}");
                        if (bound.ContainsKey(name))
                            throw Error(arg.NamePosition, name, $"each argument of {item.Name} once");
                    }
                    bound[name] = arg.Value;
                }
                foreach (var n in names)
                    if (Required.Contains(item.Name + "." + n) && !bound.ContainsKey(n))
                        throw Error(item.Position, item.Name, $"{item.Name} with its {n}, such as {item.Name}({SampleArgs(item.Name)})");

                bool Has(string n) => bound.TryGetValue(n, out var v) && v.Kind != Kind.None;
                string opt(string n) => $"{item.Name} {n}";
                switch (item.Name)
                {
                    case "Resize":
                    {
                        bool aa = Has("antialias") ? Bool(bound["antialias"], opt("antialias")) : true;
                        var v = bound["size"];
                        if (v.Kind == Kind.List)
                        {
                            var s = Ints(v, opt("size"));
                            if (s.Length == 1) return new Resize(s[0], aa);
                            if (s.Length == 2) return new Resize(s[0], s[1], aa);
                            throw Error(v.Position, v.Text, "a size: one number (the smaller edge) or [height, width]");
                        }
                        return new Resize(Int(v, opt("size")), aa);
                    }
                    case "CenterCrop":
                    {
                        var (h, w) = Size(bound["size"], opt("size"));
                        return new CenterCrop(h, w) { IgnoreIndex = Has("ignore_index") ? Int(bound["ignore_index"], opt("ignore_index")) : 255 };
                    }
                    case "RandomResizedCrop":
                    {
                        var (h, w) = Size(bound["size"], opt("size"));
                        return new RandomResizedCrop(h, w,
                            Has("scale") ? Pair(bound["scale"], opt("scale")) : null,
                            Has("ratio") ? Pair(bound["ratio"], opt("ratio")) : null,
                            Has("antialias") ? Bool(bound["antialias"], opt("antialias")) : true);
                    }
                    case "RandomCrop":
                    {
                        var (h, w) = Size(bound["size"], opt("size"));
                        int[] padding = !Has("padding") ? new[] { 0 } : bound["padding"].Kind == Kind.List ? Ints(bound["padding"], opt("padding")) : new[] { Int(bound["padding"], opt("padding")) };
                        return new RandomCrop(h, w, padding,
                            Has("pad_if_needed") && Bool(bound["pad_if_needed"], opt("pad_if_needed")),
                            Has("fill") ? Number(bound["fill"], opt("fill")) : 0)
                        { IgnoreIndex = Has("ignore_index") ? Int(bound["ignore_index"], opt("ignore_index")) : 255 };
                    }
                    case "RandomHorizontalFlip":
                        return new RandomHorizontalFlip(Has("p") ? Number(bound["p"], opt("p")) : 0.5);
                    case "ColorJitter":
                    {
                        var parts = new[] { "brightness", "contrast", "saturation" };
                        if (parts.All(n => !Has(n) || bound[n].Kind == Kind.Number))
                            return new ColorJitter(Has("brightness") ? Number(bound["brightness"], opt("brightness")) : 0,
                                Has("contrast") ? Number(bound["contrast"], opt("contrast")) : 0,
                                Has("saturation") ? Number(bound["saturation"], opt("saturation")) : 0);
                        (double, double)? Range(string n)
                        {
                            if (!Has(n)) return null;
                            var v = bound[n];
                            if (v.Kind == Kind.Number)
                            {
                                double a = Number(v, opt(n));
                                if (a < 0) throw new InvalidOptionException(opt(n), "a finite number 0 or more or a range [min, max]", v.Text);
                                return a == 0 ? null : (Math.Max(0, 1 - a), 1 + a);
                            }
                            return Pair(v, opt(n));
                        }
                        return new ColorJitter(Range("brightness"), Range("contrast"), Range("saturation"));
                    }
                    case "Normalize":
                        return new Normalize(Numbers(bound["mean"], opt("mean")), Numbers(bound["std"], opt("std")));
                    case "Grayscale":
                        return new Grayscale(Has("num_output_channels") ? Int(bound["num_output_channels"], opt("num_output_channels")) : 1);
                    case "ImageToSequence":
                        return new ImageToSequence();
                }
                throw new InvalidOperationException("unreachable: " + item.Name);
            }

            private static string SampleArgs(string name) => name switch
            {
                "Resize" => "256",
                "CenterCrop" => "224",
                "RandomResizedCrop" => "224",
                "RandomCrop" => "32, padding=4",
                "Normalize" => "mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]",
                _ => "",
            };

            public int Int(Value v, string what)
            {
                if (v.Kind != Kind.Number || !v.IsInteger || v.Number < int.MinValue || v.Number > int.MaxValue)
                    throw Error(v.Position, v.Text, $"a whole number for {what}");
                return (int)v.Number;
            }

            private double Number(Value v, string what) =>
                v.Kind == Kind.Number ? v.Number : throw Error(v.Position, v.Text, $"a number for {what}");

            private bool Bool(Value v, string what) =>
                v.Kind == Kind.Bool ? v.Bool : throw Error(v.Position, v.Text, $"True or False for {what}");

            private int[] Ints(Value v, string what) =>
                v.Kind == Kind.List ? v.Items.Select(i => Int(i, what)).ToArray() : throw Error(v.Position, v.Text, $"a [list] of whole numbers for {what}");

            private double[] Numbers(Value v, string what) =>
                v.Kind == Kind.List ? v.Items.Select(i => Number(i, what)).ToArray() : new[] { Number(v, what) };

            private (double, double) Pair(Value v, string what)
            {
                if (v.Kind != Kind.List || v.Items.Count != 2) throw Error(v.Position, v.Text, $"a range [min, max] for {what}");
                return (Number(v.Items[0], what), Number(v.Items[1], what));
            }

            // torchvision's _setup_size: an int is square, [s] is square, [h, w].
            private (int, int) Size(Value v, string what)
            {
                if (v.Kind != Kind.List) { int s = Int(v, what); return (s, s); }
                var s2 = Ints(v, what);
                return s2.Length switch
                {
                    1 => (s2[0], s2[0]),
                    2 => (s2[0], s2[1]),
                    _ => throw Error(v.Position, v.Text, $"a size for {what}: one number or [height, width]"),
                };
            }
        }
    }
}

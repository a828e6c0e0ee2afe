using Dsl.Names;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// The one policy for names a user chooses that reach generated code, in C# (the TorchSharp module) and in Python
    /// (the PyTorch twin, written from the graph). A name that becomes a field and an attribute (a layer name, a block's
    /// Body or ShortcutName) must be a name in both languages as it is: a C# identifier
    /// that is neither a keyword nor a contextual keyword, a Python identifier that is no Python keyword and that NFKC
    /// normalisation leaves unchanged, and not starting with '__' (Python mangles it). A field also may not be a member
    /// of the generated module, of TorchSharp's Module or of PyTorch's nn.Module. Such names are rejected (DSL013 for a
    /// layer, DSL018 for a block) with a legal name to use instead, because a field's name is also its state_dict key,
    /// which both languages must share. A block parameter is only an argument: it must be spelled as a name in both
    /// languages, and a keyword of either is escaped (<see cref="ParameterProblem"/>). A Sequential child's name is only a key, written as a string literal
    /// (<c>Identifier.String</c>, <c>PythonText.String</c>): any text but an empty one, one with '.' or an nn.Module
    /// attribute. Everything the generator names itself (locals, constructor parameters, classes) is chosen so no user
    /// name collides with it; the twin does the same for Python (<see cref="PythonNames.Escape"/>).
    /// </summary>
    internal static class NamePolicy
    {
        /// <summary>Member names of the generated class and of TorchSharp's Module that a layer may not take.</summary>
        public static readonly IReadOnlyCollection<string> ReservedMembers = new HashSet<string>(StringComparer.Ordinal)
        {
            "forward", "call", "Info", "InputShape", "OutputShape", "ParameterCount", "MultiplyAddCount", "Summary",
            "parameters", "named_parameters", "buffers", "named_buffers", "modules", "named_modules", "children",
            "named_children", "state_dict", "load_state_dict", "train", "eval", "training", "to", "cpu", "cuda",
            "apply", "zero_grad", "register_module", "register_buffer", "register_parameter", "GetName", "Dispose",
            "half", "bfloat16", "save", "load", "get_parameter", "get_buffer", "get_submodule", "Graph",
        };

        /// <summary>Members every generated network declares (besides its layer fields and block classes).</summary>
        public static readonly string[] GeneratedMembers =
            { "forward", "InputShape", "OutputShape", "ParameterCount", "MultiplyAddCount", "Info", "Summary", "Graph", "Outputs", "ForwardOutputs" };

        /// <summary>
        /// The prefix of a numbered automatic layer name taken from a type's name (a block's <c>InvertedResidual</c> gives
        /// <c>invertedResidual</c>): '@' dropped, the first letter lower case, other characters than letters, digits and
        /// '_' replaced by '_', a leading '__' reduced to '_'. With its number it is always a legal field name.
        /// </summary>
        public static string AutomaticPrefix(string typeName, string fallback)
        {
            string name = typeName.TrimStart('@');
            if (name.Length == 0) return fallback;
            name = PythonNames.Sanitize(char.ToLowerInvariant(name[0]) + name.Substring(1));
            while (name.StartsWith("__", StringComparison.Ordinal)) name = name.Substring(1);
            return name;
        }

        /// <summary>
        /// Why a network class cannot have the name <paramref name="name"/>; null when it can. A class may not have a member
        /// named like itself (CS0542), so it cannot be named like a member every generated network (or stub) declares, or
        /// like the built-in blocks' nested classes. Any other C# name is fine: the PyTorch twin escapes a class name
        /// Python cannot take (<c>None</c> becomes <c>None_</c>, listed in its <c>__all__</c>).
        /// </summary>
        public static string? NetworkClassProblem(string name)
        {
            if (Array.IndexOf(GeneratedMembers, name) >= 0 || name == "DeclarationErrors")
                return "every generated network declares a member '" + name + "', and a class cannot have a member named like itself; rename the network, for example to '" + name + "Net'";
            if (name is "StemBlock" or "ResidualBlock" or "ClassifierHeadBlock" or "BasicBlock" or "BottleneckBlock" or "PreActBasicBlock" or "PreActBottleneckBlock")
                return "the name is used by the generated nested block classes; rename the network";
            return null;
        }

        /// <summary>A C# identifier as written, not a keyword or contextual keyword (so it needs no '@' anywhere).</summary>
        public static bool IsCSharpIdentifier(string name) =>
            SyntaxFacts.IsValidIdentifier(name) && name.IndexOf('@') < 0
            && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None
            && SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.None
            // Formatting characters are legal in C# identifiers and ignored there; Python refuses them.
            && name.All(c => char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format);

        /// <summary>Why <paramref name="name"/> is not a name in both C# and Python; null when it is.</summary>
        public static string? NameProblem(string name)
        {
            if (name.Length == 0) return "it is empty";
            if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None)
                return "it is a C# keyword";
            if (PythonNames.Keywords.Contains(name))
                return "it is a Python keyword" + (name is "None" or "True" or "False" ? " (a constant)" : "") + ", and the PyTorch twin writes it as a name";
            if (!IsCSharpIdentifier(name) || !PythonNames.IsIdentifier(name))
                return "it is not a name in both C# and Python (letters, digits and '_', not starting with a digit; Python reads identifiers NFKC-normalised)";
            if (name.StartsWith("__", StringComparison.Ordinal)) return "Python mangles names that start with '__' inside a class";
            return null;
        }

        /// <summary>
        /// Why <paramref name="name"/> cannot be a block parameter; null when it can. A parameter is only ever an argument
        /// (of the block class's constructor, of the twin's <c>__init__</c>), never a key, so a keyword of either language
        /// is escaped where it is written (<c>@out</c> in C#, <c>lambda_</c> in Python); it must still be spelled as a name
        /// in both, and not start with '__' (Python would mangle it at the call inside another class).
        /// </summary>
        public static string? ParameterProblem(string name)
        {
            bool shaped = name.Length > 0 && SyntaxFacts.IsValidIdentifier(name) && name.IndexOf('@') < 0
                && name.All(c => char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format)
                && (PythonNames.IsIdentifier(name) || PythonNames.Keywords.Contains(name));
            if (!shaped) return "it is not a name in both C# and Python (letters, digits and '_', not starting with a digit; Python reads identifiers NFKC-normalised)";
            if (name.StartsWith("__", StringComparison.Ordinal)) return "Python mangles names that start with '__' inside a class";
            return null;
        }

        /// <summary>
        /// Why <paramref name="name"/> cannot be a field of a generated module (and an attribute of its twin); null when
        /// it can (the caller checks its own names: other layers, the class name).
        /// </summary>
        public static string? FieldProblem(string name)
        {
            if (NameProblem(name) is { } why) return why;
            if (ReservedMembers.Contains(name)) return "it is a member of the generated module or of TorchSharp's Module";
            if (PythonNames.ModuleMembers.Contains(name)) return "it is an attribute of PyTorch's nn.Module, which the PyTorch twin's module would hide";
            return null;
        }

        /// <summary>
        /// Whether <paramref name="name"/> is an index, <c>0</c>, <c>1</c>, ... (no leading zero): a block class may name its
        /// children so, as torchvision's <c>nn.ModuleList</c>s are keyed (DeepLabV3's <c>convs.0</c>); the key is the index,
        /// the C# field <see cref="IndexField"/>, and the PyTorch twin reaches it with <c>getattr</c>.
        /// </summary>
        public static bool IsIndex(string name) =>
            name.Length > 0 && name.Length < 10 && name.All(c => c >= '0' && c <= '9') && (name == "0" || name[0] != '0');

        /// <summary>The C# field of a child keyed <paramref name="name"/>: the name itself, or <c>_0</c> for the index 0.</summary>
        public static string IndexField(string name) => IsIndex(name) ? "_" + name : name;

        /// <summary>Why <paramref name="name"/> cannot name a child of a Sequential (a state_dict key only); null when it can.</summary>
        public static string? SequentialKeyProblem(string name)
        {
            if (name.Trim().Length == 0) return "a Sequential's layer needs a name that is not empty";
            if (name.IndexOf('.') >= 0) return "a Sequential's layer needs a name without '.' (it separates state_dict keys)";
            if (PythonNames.ModuleMembers.Contains(name)) return "it is an attribute of PyTorch's nn.Sequential, which refuses it as a child's name";
            // Every Python object has special attributes (__init__, __class__, __len__, ...), which add_module refuses too.
            if (name.Length > 4 && name.StartsWith("__", StringComparison.Ordinal) && name.EndsWith("__", StringComparison.Ordinal))
                return "it has the form of Python's special names (__init__, __len__, ...), which nn.Sequential has as attributes and refuses as a child's name";
            return null;
        }

        /// <summary>
        /// A legal name close to <paramref name="name"/>: illegal characters replaced by '_', leading '__' reduced to one,
        /// then '_' appended until it passes <paramref name="problem"/> and <paramref name="free"/>.
        /// </summary>
        public static string Suggest(string name, Func<string, string?> problem, Func<string, bool>? free = null)
        {
            string candidate = PythonNames.Sanitize(name);
            while (candidate.StartsWith("__", StringComparison.Ordinal)) candidate = candidate.Substring(1);
            if (candidate == "_") candidate = "layer";
            for (int i = 0; i < 64 && (problem(candidate) is not null || (free is not null && !free(candidate))); i++) candidate += "_";
            return candidate;
        }

        /// <summary>The reason for a rejected name followed by the fix: "it is a Python keyword ...; choose another name, such as 'def_'".</summary>
        public static string WithSuggestion(string why, string name, Func<string, string?> problem, Func<string, bool>? free = null) =>
            why + "; choose another name, such as '" + Suggest(name, problem, free) + "'";

        /// <summary><paramref name="name"/> if it is not in <paramref name="taken"/>, else <c>name_2</c>, <c>name_3</c>, ... (never fails).</summary>
        public static string Unique(string name, ICollection<string> taken)
        {
            if (!taken.Contains(name)) return name;
            for (int n = 2; ; n++)
            {
                string candidate = name + "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!taken.Contains(candidate)) return candidate;
            }
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Dsl.Names
{
    /// <summary>
    /// What Python makes of a name, for the PyTorch twin: its keywords and constants, the identifier rules (Python reads
    /// identifiers after NFKC normalisation and mangles <c>__name</c> inside a class), the attributes every
    /// <c>nn.Module</c> has, and the module-level names the twin itself defines or uses. One file, compiled into the
    /// generator (which rejects layer names Python cannot take, see <c>NamePolicy</c>) and into Dsl.Runtime (whose
    /// twin writer escapes class and argument names with it).
    /// </summary>
    internal static class PythonNames
    {
        /// <summary>Python 3's keywords, including the constants <c>None</c>, <c>True</c> and <c>False</c>: never a name.</summary>
        public static readonly IReadOnlyCollection<string> Keywords = new HashSet<string>(StringComparer.Ordinal)
        {
            "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
            "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
            "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
        };

        /// <summary>
        /// Soft keywords (<c>match</c>, <c>case</c>, <c>type</c>, <c>_</c>): keywords only where a statement starts with them,
        /// names everywhere else, so they may name layers and arguments; <c>__debug__</c> cannot be assigned.
        /// </summary>
        public static readonly IReadOnlyCollection<string> SoftKeywords = new HashSet<string>(StringComparer.Ordinal) { "match", "case", "type", "_" };

        /// <summary>
        /// The logical name under which the twin's helper files (<c>src/Runtime/PyTorch/Helpers/&lt;Class&gt;.py</c>, one
        /// Python class each) are embedded: in Dsl.Runtime, which writes them into twins, and in the generator, so that
        /// this file reads the same helper classes in both assemblies (<see cref="HelperClasses"/>).
        /// </summary>
        public const string HelperResourcePrefix = "Dsl.Runtime.PyTorch.Helpers.";

        /// <summary>The classes of the twin's helper files, by file name (<c>PositionTable</c>), as embedded in this assembly.</summary>
        public static IReadOnlyCollection<string> HelperClasses { get; } = typeof(PythonNames).Assembly.GetManifestResourceNames()
            .Where(r => r.StartsWith(HelperResourcePrefix, StringComparison.Ordinal) && r.EndsWith(".py", StringComparison.Ordinal))
            .Select(r => r.Substring(HelperResourcePrefix.Length, r.Length - HelperResourcePrefix.Length - ".py".Length))
            .OrderBy(c => c, StringComparer.Ordinal).ToArray();

        /// <summary>
        /// Names the twin's code refers to at module level or as builtins (imports, helper classes, builtins its classes
        /// call): a class or argument with one of these names would hide it. Block classes are added per twin.
        /// </summary>
        public static readonly IReadOnlyCollection<string> TwinGlobals = new HashSet<string>(HelperClasses, StringComparer.Ordinal)
        {
            // imports and the twin's own functions (PyTorchTwin, PyTorchInit.Helper); the helper classes come from their files
            "torch", "nn", "F", "Tensor", "OrderedDict", "math", "re", "_initialize", "_kind", "_glob",
            // builtins and constants the twin's code uses
            "self", "super", "int", "float", "bool", "str", "list", "tuple", "dict", "len", "range", "isinstance", "type",
            "getattr", "setattr", "hasattr", "print", "ValueError", "TypeError", "NotImplementedError", "input", "object",
            "__debug__", "__all__", "__name__", "__file__",
        };

        /// <summary>
        /// Attributes of every <c>torch.nn.Module</c> (PyTorch 1.13 to 2.x) and of the twin's network class: a submodule
        /// assigned under one of these names is hidden by the method, or replaces the attribute PyTorch relies on.
        /// </summary>
        public static readonly IReadOnlyCollection<string> ModuleMembers = new HashSet<string>(StringComparer.Ordinal)
        {
            "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile", "cpu", "cuda",
            "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
            "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules",
            "named_parameters", "parameters", "register_backward_hook", "register_buffer", "register_forward_hook",
            "register_forward_pre_hook", "register_full_backward_hook", "register_full_backward_pre_hook",
            "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook", "register_module", "register_parameter",
            "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
            "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu", "zero_grad",
            // private attributes PyTorch sets or defines (add_module refuses them, assignment replaces them)
            "_apply", "_backward_hooks", "_backward_pre_hooks", "_buffers", "_call_impl", "_compiled_call_impl", "_forward_hooks",
            "_forward_hooks_always_called", "_forward_hooks_with_kwargs", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
            "_get_backward_hooks", "_get_backward_pre_hooks", "_get_item_by_idx", "_get_name", "_is_full_backward_hook",
            "_load_from_state_dict", "_load_state_dict_post_hooks", "_load_state_dict_pre_hooks", "_maybe_warn_non_full_backward_hook",
            "_modules", "_named_members", "_non_persistent_buffers_set", "_parameters", "_register_load_state_dict_pre_hook",
            "_register_state_dict_hook", "_replicate_for_data_parallel", "_save_to_state_dict", "_slow_forward", "_state_dict_hooks",
            "_state_dict_pre_hooks", "_version", "_wrapped_call_impl",
            // nn.Sequential's own methods (a named child of a Sequential may not take them either)
            "append", "extend", "insert", "pop",
            // the twin's network class attributes
            "input_shape", "output_shape",
        };

        /// <summary>
        /// Whether <paramref name="name"/> is a Python identifier that Python reads as itself: a letter or '_' first, then
        /// letters, marks, digits and connectors, unchanged by NFKC normalisation (Python normalises identifiers, so
        /// <c>ﬁ</c> would be read as <c>fi</c>), and not a keyword.
        /// </summary>
        public static bool IsIdentifier(string name)
        {
            if (name.Length == 0 || Keywords.Contains(name)) return false;
            if (!string.Equals(name, name.Normalize(NormalizationForm.FormKC), StringComparison.Ordinal)) return false;
            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                if (char.IsHighSurrogate(c) || char.IsLowSurrogate(c)) return false;
                var category = char.GetUnicodeCategory(c);
                bool start = c == '_' || category is System.Globalization.UnicodeCategory.UppercaseLetter or System.Globalization.UnicodeCategory.LowercaseLetter
                    or System.Globalization.UnicodeCategory.TitlecaseLetter or System.Globalization.UnicodeCategory.ModifierLetter
                    or System.Globalization.UnicodeCategory.OtherLetter or System.Globalization.UnicodeCategory.LetterNumber;
                bool part = start || category is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark
                    or System.Globalization.UnicodeCategory.DecimalDigitNumber or System.Globalization.UnicodeCategory.ConnectorPunctuation;
                if (i == 0 ? !start : !part) return false;
            }
            return true;
        }

        /// <summary>
        /// Why <paramref name="name"/> cannot be an attribute of a twin module (<c>self.name</c>, a state_dict key); null
        /// when it can.
        /// </summary>
        public static string? AttributeProblem(string name)
        {
            if (Keywords.Contains(name)) return "it is a Python keyword" + (name is "None" or "True" or "False" ? " (a constant)" : "") + ", so the PyTorch twin cannot write self." + name;
            if (!IsIdentifier(name)) return "it is not a Python identifier, or Python reads it as a different name (identifiers are NFKC-normalised)";
            if (name.StartsWith("__", StringComparison.Ordinal)) return "Python mangles names that start with '__' inside a class, so the PyTorch twin's state_dict key would differ";
            if (ModuleMembers.Contains(name)) return "it is an attribute of PyTorch's nn.Module, so the PyTorch twin's submodule would be hidden by it";
            return null;
        }

        /// <summary>
        /// <paramref name="name"/> as a Python name that hides nothing the twin uses: itself when it is free, otherwise
        /// with '_' appended (<c>def_</c>, <c>nn_</c>) until it is not in <paramref name="taken"/> either.
        /// </summary>
        public static string Escape(string name, ICollection<string>? taken = null)
        {
            string candidate = IsIdentifier(name) ? name : Sanitize(name);
            while (Keywords.Contains(candidate) || TwinGlobals.Contains(candidate) || (taken is not null && taken.Contains(candidate)))
                candidate += "_";
            return candidate;
        }

        /// <summary>Letters, digits and '_' kept (after NFKC), anything else replaced by '_'; a leading digit gets '_' before it.</summary>
        public static string Sanitize(string name)
        {
            var sb = new StringBuilder();
            foreach (char c in name.Normalize(NormalizationForm.FormKC))
            {
                bool ok = c == '_' || (c < 128 ? char.IsLetterOrDigit(c) : IsIdentifier("a" + c));
                sb.Append(ok ? c : '_');
            }
            if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, '_');
            return sb.ToString();
        }
    }
}

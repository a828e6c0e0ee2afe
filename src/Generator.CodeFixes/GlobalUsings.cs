// The namespaces of a code fix: MEF's export, the generator's diagnostic ids, Roslyn's C# syntax and code fixes.
global using System.Composition;
global using Dsl.Generator.Diagnostics;
global using Microsoft.CodeAnalysis;
global using Microsoft.CodeAnalysis.CodeFixes;
global using Microsoft.CodeAnalysis.CSharp;

// The namespaces nearly every file of the generator uses: the layer kinds (Model, Layers) build the network graph
// (Graph) with LINQ, so each file names only what is particular to it.
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using Dsl.Generator.Graph;
global using Dsl.Generator.Layers;
global using Dsl.Generator.Model;

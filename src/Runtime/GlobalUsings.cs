// The .NET namespaces nearly every file of the runtime uses, imported once (as the SDK's implicit usings would; the
// repository turns those off so that each project chooses its own).
global using System;
global using System.Collections.Generic;
global using System.IO;
global using System.Linq;

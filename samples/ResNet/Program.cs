System.Console.WriteLine("ResNet sample: commands arrive with the runtime.");

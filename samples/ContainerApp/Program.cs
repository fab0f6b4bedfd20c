System.Console.WriteLine($"Hello from a signed container image ({System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}).");

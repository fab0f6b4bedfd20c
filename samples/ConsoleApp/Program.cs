System.Console.WriteLine("Hello from a Sigstore-signed self-contained app.");

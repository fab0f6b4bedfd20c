using Contoso.Greetings;

Console.WriteLine(Greeter.Greet(args.Length > 0 ? args[0] : "world"));

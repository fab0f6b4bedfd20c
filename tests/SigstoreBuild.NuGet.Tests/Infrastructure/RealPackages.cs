using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SigstoreBuild.NuGet.Tests.Infrastructure;

/// <summary>Real packages made by <c>dotnet pack</c> and signed by <c>dotnet nuget sign</c>, in a temp folder.</summary>
internal static class RealPackages
{
    public static string NewTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "sigstore-nuget-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Packs a one-class library; Inconclusive when the SDK cannot run here.</summary>
    public static string Pack(string directory, string id, string version)
    {
        var project = Path.Combine(directory, "src");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "Lib.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <PackageId>{id}</PackageId>
                <Version>{version}</Version>
                <Authors>tests</Authors>
                <Description>test package</Description>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Lib.cs"), "namespace Lib; public static class Marker { public const int Value = 1; }");
        var output = Path.Combine(directory, "out");
        var (exit, log) = Run(project, "pack", "-o", output, "-nodeReuse:false", "-p:UseSharedCompilation=false");
        if (exit != 0)
        {
            Assert.Inconclusive("dotnet pack failed, so the real-package tests cannot run here: " + log);
        }

        return Directory.GetFiles(output, "*.nupkg").Single();
    }

    /// <summary>Author-signs a copy of <paramref name="package"/> with a certificate generated now.</summary>
    public static string AuthorSign(string package, string directory)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=SigstoreBuild Test Author", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var pfx = Path.Combine(directory, "author.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, password));

        var signed = Path.Combine(directory, "signed", Path.GetFileName(package));
        Directory.CreateDirectory(Path.GetDirectoryName(signed)!);
        File.Copy(package, signed, overwrite: true);
        var (exit, log) = Run(directory, "nuget", "sign", signed, "--certificate-path", pfx, "--certificate-password", password, "--overwrite");
        if (exit != 0)
        {
            Assert.Inconclusive("dotnet nuget sign failed: " + log);
        }

        return signed;
    }

    private static (int Exit, string Log) Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}

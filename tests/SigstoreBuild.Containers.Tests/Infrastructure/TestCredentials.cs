using SigstoreBuild.Containers.Credentials;

namespace SigstoreBuild.Containers.Tests.Infrastructure;

/// <summary>A temporary DOCKER_CONFIG folder (and PATH folder for credential helpers), for <see cref="DockerCredentials"/>.</summary>
internal sealed class TempDockerConfig : IDisposable
{
    public TempDockerConfig()
    {
        Folder = Directory.CreateTempSubdirectory("sigstorebuild-docker-").FullName;
        Bin = Directory.CreateDirectory(Path.Combine(Folder, "bin")).FullName;
        Environment = new CredentialEnvironment
        {
            GetVariable = name => name switch
            {
                "DOCKER_CONFIG" => Folder,
                "PATH" => Bin,
                _ => null,
            },
            HomeDirectory = Path.Combine(Folder, "home"),
        };
    }

    public string Folder { get; }

    public string Bin { get; }

    public CredentialEnvironment Environment { get; }

    public DockerCredentials Credentials => new(Environment);

    public void WriteConfig(string json) => File.WriteAllText(Path.Combine(Folder, "config.json"), json);

    /// <summary>Writes an executable docker-credential-&lt;name&gt; shell script into <see cref="Bin"/>.</summary>
    public void WriteHelper(string name, string script)
    {
        var path = Path.Combine(Bin, "docker-credential-" + name);
        File.WriteAllText(path, "#!/bin/sh\n" + script);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public static string Auth(string user, string password) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"));

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

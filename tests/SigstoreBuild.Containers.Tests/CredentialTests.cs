using SigstoreBuild.Containers.Credentials;
using SigstoreBuild.Containers.Tests.Infrastructure;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers.Tests;

[TestClass]
public sealed class CredentialTests
{
    [TestMethod]
    public async Task ReadsAuthsByHost()
    {
        using var config = new TempDockerConfig();
        config.WriteConfig($$$"""
            {"auths":{"https://ghcr.io":{"auth":"{{{TempDockerConfig.Auth("bob", "pa:ss")}}}"},
                      "127.0.0.1:5000":{"username":"u","password":"p"},
                      "https://index.docker.io/v1/":{"identitytoken":"refresh"} } }
            """);
        var ghcr = await config.Credentials.GetAsync("ghcr.io", default);
        Assert.AreEqual("bob", ghcr!.Username);
        Assert.AreEqual("pa:ss", ghcr.Password);
        StringAssert.Contains(ghcr.Source, config.Folder);
        var local = await config.Credentials.GetAsync("127.0.0.1:5000", default);
        Assert.AreEqual("u", local!.Username);
        var hub = await config.Credentials.GetAsync("docker.io", default);
        Assert.AreEqual("refresh", hub!.IdentityToken);
        Assert.IsNull(await config.Credentials.GetAsync("quay.io", default));
    }

    [TestMethod]
    public async Task NoConfigFileMeansNoCredentials()
    {
        using var config = new TempDockerConfig();
        Assert.IsNull(await config.Credentials.GetAsync("ghcr.io", default));
    }

    [TestMethod]
    public void ToStringHidesSecrets()
    {
        var text = new RegistryCredentials("bob", "hunter2", "tok-secret").ToString();
        StringAssert.Contains(text, "bob");
        Assert.IsFalse(text.Contains("hunter2", StringComparison.Ordinal) || text.Contains("tok-secret", StringComparison.Ordinal), text);
    }

    [TestMethod]
    public async Task CredentialHelperGivesUserAndSecret()
    {
        using var config = new TempDockerConfig();
        config.WriteConfig("""{"credHelpers":{"ghcr.io":"test"},"auths":{"ghcr.io":{"auth":"bm90OnVzZWQ="}}}""");
        // The helper reads the registry from standard input, as docker's protocol says.
        config.WriteHelper("test", """
            [ "$1" = get ] || exit 2
            read host
            if [ "$host" = ghcr.io ]; then echo '{"ServerURL":"ghcr.io","Username":"helper-user","Secret":"helper-secret"}'; exit 0; fi
            echo "credentials not found in native keychain"; exit 1
            """);
        var credentials = await config.Credentials.GetAsync("ghcr.io", default);
        Assert.AreEqual("helper-user", credentials!.Username);
        Assert.AreEqual("helper-secret", credentials.Password);
        StringAssert.Contains(credentials.Source, "docker-credential-test");
    }

    [TestMethod]
    public async Task CredsStoreTokenUserMeansIdentityToken()
    {
        using var config = new TempDockerConfig();
        config.WriteConfig("""{"credsStore":"store"}""");
        config.WriteHelper("store", """
            read host
            [ "$host" = "https://index.docker.io/v1/" ] || { echo "credentials not found in native keychain"; exit 1; }
            echo '{"Username":"<token>","Secret":"the-refresh-token"}'
            """);
        var hub = await config.Credentials.GetAsync("docker.io", default);
        Assert.AreEqual("the-refresh-token", hub!.IdentityToken);
        Assert.IsNull(hub.Username);
        Assert.IsNull(await config.Credentials.GetAsync("quay.io", default), "not found is anonymous, not an error");
    }

    [TestMethod]
    public async Task BrokenHelperIsACodedErrorWithoutTheSecret()
    {
        using var config = new TempDockerConfig();
        config.WriteConfig("""{"credHelpers":{"ghcr.io":"broken"}}""");
        config.WriteHelper("broken", """echo 'Username: x Secret: leaked-secret'""");
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => config.Credentials.GetAsync("ghcr.io", default).AsTask());
        Assert.AreEqual(ContainerCodes.CredentialHelperFailed, ex.Code);
        Assert.IsFalse(ex.Message.Contains("leaked-secret", StringComparison.Ordinal), ex.Message);
        StringAssert.Contains(ex.Message, "docker-credential-broken get");
    }

    [TestMethod]
    public async Task MissingHelperAndSlowHelperAreCodedErrors()
    {
        using var config = new TempDockerConfig();
        config.WriteConfig("""{"credHelpers":{"ghcr.io":"absent","quay.io":"slow"}}""");
        var missing = await Assert.ThrowsExactlyAsync<SigstoreException>(() => config.Credentials.GetAsync("ghcr.io", default).AsTask());
        Assert.AreEqual(ContainerCodes.CredentialHelperFailed, missing.Code);
        StringAssert.Contains(missing.Message, "not on PATH");

        config.WriteHelper("slow", "sleep 30\n");
        var slow = new DockerCredentials(new CredentialEnvironment
        {
            GetVariable = config.Environment.GetVariable,
            HomeDirectory = config.Environment.HomeDirectory,
            HelperTimeout = TimeSpan.FromSeconds(1),
        });
        var timedOut = await Assert.ThrowsExactlyAsync<SigstoreException>(() => slow.GetAsync("quay.io", default).AsTask());
        Assert.AreEqual(ContainerCodes.CredentialHelperFailed, timedOut.Code);
    }

    [TestMethod]
    public async Task InvalidConfigFileDoesNotEchoIt()
    {
        using var config = new TempDockerConfig();
        config.WriteConfig("""{"auths":{"ghcr.io":{"auth":"not base64 secret-in-file!"}}}""");
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => config.Credentials.GetAsync("ghcr.io", default).AsTask());
        Assert.AreEqual(ContainerCodes.CredentialHelperFailed, ex.Code);
        Assert.IsFalse(ex.Message.Contains("secret-in-file", StringComparison.Ordinal), ex.Message);
    }
}

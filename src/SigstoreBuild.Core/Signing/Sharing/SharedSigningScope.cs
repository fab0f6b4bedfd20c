using System.Security.Cryptography;
using System.Text;

namespace SigstoreBuild.Signing.Sharing;

/// <summary>
/// Which processes may share one signing session: those that know the same secret (derived from the build's identity
/// credentials and signing settings, which every MSBuild node of one build sees in its environment) and use the same
/// private rendezvous directory. The secret never leaves the process: the file names and the handshake key are
/// separate one-way derivations of it.
/// </summary>
public sealed class SharedSigningScope
{
    private readonly byte[] _key;

    private SharedSigningScope(string directory, byte[] secret)
    {
        Directory = directory;
        Name = Convert.ToHexStringLower(Derive(secret, "name"))[..16];
        _key = Derive(secret, "key");
    }

    /// <summary>The rendezvous directory: private to the user (0700 on Unix).</summary>
    public string Directory { get; }

    /// <summary>Names the lock and socket files; reveals nothing about the secret.</summary>
    public string Name { get; }

    public string LockPath => Path.Combine(Directory, Name + ".lock");

    public string SocketPath => Path.Combine(Directory, Name + ".sock");

    /// <summary>The handshake key both sides prove knowledge of.</summary>
    internal ReadOnlySpan<byte> Key => _key;

    /// <summary>A scope from the parts that define it (settings, credentials), each length-prefixed so parts cannot run together.</summary>
    public static SharedSigningScope Create(string directory, IEnumerable<string?> parts)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(parts);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[5];
        foreach (var part in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(part ?? "");
            length[0] = part is null ? (byte)0 : (byte)1;
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length[1..], bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }

        return new SharedSigningScope(directory, hash.GetHashAndReset());
    }

    /// <summary>
    /// The per-user rendezvous directory: <c>$XDG_RUNTIME_DIR/sigstorebuild</c> where the login session has one (and the
    /// process is not root, which may have inherited another user's), else <c>~/.sigstore-dotnet/sessions</c>: both
    /// inside a directory that only the user can write to, so no other user can create or swap it first. Unix socket
    /// paths are limited to 104 bytes on macOS and 108 on Linux; a longer one is not shared.
    /// </summary>
    public static string DefaultDirectory(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!OperatingSystem.IsWindows() && !Environment.IsPrivilegedProcess
            && environment("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && Path.IsPathRooted(runtime))
        {
            return Path.Combine(runtime, "sigstorebuild");
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sigstore-dotnet", "sessions");
    }

    private static byte[] Derive(byte[] secret, string purpose) =>
        HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes("SigstoreBuild shared signing session v1: " + purpose));
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Verification.Tlog;

/// <summary>
/// A C2SP signed note carrying a tlog checkpoint (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), parsed strictly:
/// origin, decimal tree size and base64 root hash lines, optional extension lines, a blank line, then signature lines
/// <c>— name base64(keyhint[4] || signature)</c>.
/// </summary>
internal sealed class SignedCheckpoint
{
    private const int MaxSignatures = 64;
    private const char EmDash = '\u2014';

    private SignedCheckpoint(string origin, long size, byte[] rootHash, byte[] signedText, IReadOnlyList<NoteSignature> signatures)
    {
        Origin = origin;
        Size = size;
        RootHash = rootHash;
        SignedText = signedText;
        Signatures = signatures;
    }

    public string Origin { get; }

    public long Size { get; }

    public byte[] RootHash { get; }

    /// <summary>The note text the signatures cover: every line up to and including the newline before the blank line.</summary>
    public byte[] SignedText { get; }

    public IReadOnlyList<NoteSignature> Signatures { get; }

    public static SignedCheckpoint Parse(string? envelope)
    {
        if (string.IsNullOrEmpty(envelope))
        {
            throw Malformed("it is empty");
        }

        var split = envelope.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw Malformed("it has no blank line between the note text and the signatures");
        }

        var text = envelope[..(split + 1)];
        var signaturePart = envelope[(split + 2)..];

        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw Malformed("it lacks the origin, tree size or root hash line");
        }

        foreach (var line in lines)
        {
            if (line.Length == 0 || line.Contains('\r', StringComparison.Ordinal))
            {
                throw Malformed("it has an empty line or a carriage return in the note text");
            }
        }

        var origin = lines[0];
        var size = ParseSize(lines[1]);
        var rootHash = DecodeBase64(lines[2]);
        if (rootHash is not { Length: MerkleProof.HashSize })
        {
            throw Malformed("its third line is not a base64 SHA-256 root hash");
        }

        var signatures = new List<NoteSignature>();
        if (signaturePart.Length > 0)
        {
            if (signaturePart[^1] != '\n')
            {
                throw Malformed("its last signature line does not end with a newline");
            }

            foreach (var line in signaturePart[..^1].Split('\n'))
            {
                if (signatures.Count == MaxSignatures)
                {
                    throw Malformed($"it has more than {MaxSignatures} signatures");
                }

                signatures.Add(ParseSignatureLine(line));
            }
        }

        return new SignedCheckpoint(origin, size, rootHash, Encoding.UTF8.GetBytes(text), signatures);
    }

    /// <summary>
    /// Checks the note against the trusted log: at least one valid signature by the log key under the log's name (other
    /// signers are ignored, a failing signature that claims the log key is fatal), the origin, and that size and root
    /// equal the inclusion proof's.
    /// </summary>
    public void Verify(TransparencyLog log, bool rekorV2, long proofTreeSize, ReadOnlySpan<byte> proofRootHash)
    {
        var identity = CheckpointIdentity.For(log);
        var expectedHint = rekorV2 ? identity.KeyHintV2 : identity.KeyHintV1;

        var verified = false;
        foreach (var signature in Signatures)
        {
            if (identity.Name is null
                || !string.Equals(signature.Name, identity.Name, StringComparison.Ordinal)
                || !signature.KeyHint.AsSpan().SequenceEqual(expectedHint))
            {
                continue; // a witness or another key: not ours to judge
            }

            if (!log.Key.VerifyData(SignedText, signature.Signature))
            {
                throw new VerificationException(TlogCodes.InvalidCheckpointSignature,
                    $"The checkpoint signature by '{signature.Name}' does not verify with the trusted log key. The bundle's checkpoint was altered; obtain the bundle again.");
            }

            verified = true;
        }

        if (!verified)
        {
            throw new VerificationException(TlogCodes.InvalidCheckpointSignature,
                $"The checkpoint carries no signature from the trusted log '{identity.Name ?? log.BaseUrl}' (name and key hint must match). The entry cannot be shown to be in that log.");
        }

        if (!identity.MatchesOrigin(Origin, rekorV2))
        {
            throw new VerificationException(TlogCodes.CheckpointOriginMismatch,
                $"The checkpoint's origin '{Origin}' is not the trusted log '{identity.Name ?? log.BaseUrl}'. The checkpoint belongs to another log.");
        }

        if (Size != proofTreeSize || !CryptographicOperations.FixedTimeEquals(RootHash, proofRootHash))
        {
            throw new VerificationException(TlogCodes.CheckpointProofMismatch,
                "The checkpoint's tree size or root hash differs from the inclusion proof's. The inclusion proof is not anchored in a signed checkpoint.");
        }
    }

    private static long ParseSize(string line)
    {
        // Decimal without sign, spaces or leading zeros.
        if (line.Length is 0 or > 19 || (line.Length > 1 && line[0] == '0'))
        {
            throw Malformed("its second line is not a decimal tree size");
        }

        foreach (var c in line)
        {
            if (c is < '0' or > '9')
            {
                throw Malformed("its second line is not a decimal tree size");
            }
        }

        if (!long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw Malformed("its tree size is out of range");
        }

        return size;
    }

    private static NoteSignature ParseSignatureLine(string line)
    {
        // "— <name> <base64>"; names contain no spaces.
        if (line.Length < 3 || line[0] != EmDash || line[1] != ' ')
        {
            throw Malformed("a signature line does not start with '— '");
        }

        var rest = line.AsSpan(2);
        var space = rest.IndexOf(' ');
        if (space <= 0 || rest[(space + 1)..].Contains(' '))
        {
            throw Malformed("a signature line is not '— name signature'");
        }

        var name = rest[..space].ToString();
        var blob = DecodeBase64(rest[(space + 1)..].ToString());
        if (blob is not { Length: > 4 })
        {
            throw Malformed("a signature line has no base64 key hint and signature");
        }

        return new NoteSignature(name, blob[..4], blob[4..]);
    }

    private static byte[]? DecodeBase64(string value)
    {
        var buffer = new byte[value.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(value, buffer, out var written) && !value.Contains(' ', StringComparison.Ordinal)
            ? buffer[..written]
            : null;
    }

    private static VerificationException Malformed(string why) =>
        new(TlogCodes.MalformedCheckpoint, $"The inclusion proof's checkpoint is malformed: {why}. Obtain the bundle again from the signer.");
}

internal sealed record NoteSignature(string Name, byte[] KeyHint, byte[] Signature);

/// <summary>How a trusted log names itself in checkpoints and which key hints its key has (computed once per log).</summary>
internal sealed class CheckpointIdentity
{
    private static readonly ConditionalWeakTable<TransparencyLog, CheckpointIdentity> Cache = new();

    private CheckpointIdentity(string? name, byte[] keyHintV1, byte[] keyHintV2)
    {
        Name = name;
        KeyHintV1 = keyHintV1;
        KeyHintV2 = keyHintV2;
    }

    /// <summary>The log's host (and port), from its base URL: the Rekor v2 origin and the signer name of both versions.</summary>
    public string? Name { get; }

    /// <summary>Rekor v1: SHA-256(DER SubjectPublicKeyInfo)[:4], whatever the key type.</summary>
    public byte[] KeyHintV1 { get; }

    /// <summary>Rekor v2 (rekor-tiles): C2SP for Ed25519 and RSA, SHA-256(DER SPKI)[:4] for ECDSA.</summary>
    public byte[] KeyHintV2 { get; }

    public static CheckpointIdentity For(TransparencyLog log) => Cache.GetValue(log, Create);

    /// <summary>
    /// Rekor v2: the origin is exactly the log's host. Rekor v1: the origin is "host - treeID" (one tree per shard), or the
    /// bare host.
    /// </summary>
    public bool MatchesOrigin(string origin, bool rekorV2)
    {
        if (Name is null)
        {
            return false;
        }

        if (string.Equals(origin, Name, StringComparison.Ordinal))
        {
            return true;
        }

        if (rekorV2 || !origin.StartsWith(Name + " - ", StringComparison.Ordinal))
        {
            return false;
        }

        var treeId = origin.AsSpan(Name.Length + 3);
        if (treeId.IsEmpty)
        {
            return false;
        }

        foreach (var c in treeId)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static CheckpointIdentity Create(TransparencyLog log)
    {
        string? name = null;
        if (log.BaseUrl is not null && Uri.TryCreate(log.BaseUrl, UriKind.Absolute, out var uri) && uri.Authority.Length > 0)
        {
            name = uri.Authority;
        }

        var spki = log.Key.SubjectPublicKeyInfo;
        var v1 = SHA256.HashData(spki)[..4];
        byte[] v2;
        if (log.Key.IsEd25519 && name is not null && spki.Length == 44)
        {
            v2 = C2spKeyHint(name, [0x01], spki.AsSpan(12));
        }
        else if (log.Key.IsRsa && name is not null)
        {
            v2 = C2spKeyHint(name, [0xff, .. "PKIX-RSA-PKCS#1v1.5"u8], spki);
        }
        else
        {
            v2 = v1;
        }

        return new CheckpointIdentity(name, v1, v2);
    }

    private static byte[] C2spKeyHint(string name, ReadOnlySpan<byte> signatureType, ReadOnlySpan<byte> key)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(name));
        hash.AppendData("\n"u8);
        hash.AppendData(signatureType);
        hash.AppendData(key);
        return hash.GetHashAndReset()[..4];
    }
}

namespace SigstoreBuild.NuGet.Sbom;

/// <summary>
/// Syntax of a package URL (purl-spec): <c>pkg:type/namespace/name@version?qualifiers#subpath</c>. Checks what every purl
/// must satisfy, not the rules of each type, so purls of any ecosystem in a user's SBOM pass when well-formed.
/// </summary>
internal static class PackageUrl
{
    /// <summary>Null when <paramref name="purl"/> is well-formed, else why not.</summary>
    public static string? Problem(string purl)
    {
        ArgumentNullException.ThrowIfNull(purl);
        if (!purl.StartsWith("pkg:", StringComparison.Ordinal))
        {
            return "it does not start with the scheme 'pkg:'";
        }

        foreach (var c in purl)
        {
            // Spaces, controls and non-ASCII must be percent-encoded.
            if (c <= ' ' || c >= '\u007f')
            {
                return $"it has the character U+{(int)c:X4}, which must be percent-encoded";
            }
        }

        var rest = purl[4..].TrimStart('/'); // parsers ignore slashes after the scheme
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            var subpath = rest[(hash + 1)..];
            rest = rest[..hash];
            foreach (var segment in subpath.Trim('/').Split('/'))
            {
                if (Decode(segment) is not { } decoded || decoded is "" or "." or "..")
                {
                    return $"the subpath segment '{segment}' is empty, '.', '..' or badly percent-encoded";
                }
            }
        }

        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var pair in rest[(question + 1)..].Split('&'))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var key = equals < 0 ? pair : pair[..equals];
                if (key.Length == 0 || char.IsAsciiDigit(key[0]) || !key.All(k => char.IsAsciiLetterOrDigit(k) || k is '.' or '-' or '_'))
                {
                    return $"the qualifier key '{key}' is not letters, digits, '.', '-' or '_' starting with a non-digit";
                }

                if (equals < 0 || Decode(pair[(equals + 1)..]) is not { Length: > 0 })
                {
                    return $"the qualifier '{key}' has no value or a badly percent-encoded one";
                }

                if (!keys.Add(key))
                {
                    return $"the qualifier '{key}' appears twice";
                }
            }

            rest = rest[..question];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return "it has no type followed by '/'";
        }

        var type = rest[..slash];
        if (char.IsAsciiDigit(type[0]) || !type.All(t => char.IsAsciiLetterOrDigit(t) || t is '.' or '+' or '-'))
        {
            return $"the type '{type}' is not letters, digits, '.', '+' or '-' starting with a non-digit";
        }

        rest = rest[(slash + 1)..].TrimEnd('/');
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            if (Decode(rest[(at + 1)..]) is not { Length: > 0 })
            {
                return "the version after '@' is empty or badly percent-encoded";
            }

            rest = rest[..at];
        }

        var segments = rest.Split('/');
        var name = segments[^1];
        if (name.Contains('@', StringComparison.Ordinal))
        {
            return "the name has a second '@', which must be percent-encoded as %40";
        }

        if (Decode(name) is not { Length: > 0 })
        {
            return "the name is empty or badly percent-encoded";
        }

        foreach (var segment in segments[..^1])
        {
            if (Decode(segment) is not { Length: > 0 } decoded || decoded.Contains('/', StringComparison.Ordinal) || segment.Contains('@', StringComparison.Ordinal))
            {
                return $"the namespace segment '{segment}' is empty, has an unencoded '@' or is badly percent-encoded";
            }
        }

        return null;
    }

    /// <summary>Percent-decodes as UTF-8; null when a '%' is not followed by two hex digits or the bytes are not UTF-8.</summary>
    private static string? Decode(string text)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return text;
        }

        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                bytes.Add((byte)text[i]);
                continue;
            }

            if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
            {
                return null;
            }

            bytes.Add(Convert.FromHexString(text.AsSpan(i + 1, 2))[0]);
            i += 2;
        }

        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString([.. bytes]);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }
}

using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.LocalStack.Pki;

/// <summary>
/// What a Fulcio certificate says about its subject: the SAN and the Fulcio extensions (OID 1.3.6.1.4.1.57264.1.x).
/// <see cref="FromClaims"/> derives it from identity token claims the way Fulcio's email, URI and GitHub Actions
/// issuer types do.
/// </summary>
public sealed class FulcioIdentity
{
    public const string OidPrefix = "1.3.6.1.4.1.57264.1.";

    public required string Issuer { get; init; }

    /// <summary>Email SAN (rfc822Name); exactly one of <see cref="Email"/> and <see cref="Uri"/> is normally set.</summary>
    public string? Email { get; init; }

    /// <summary>URI SAN.</summary>
    public string? Uri { get; init; }

    /// <summary>The string that the proof of possession signs: the email if any, else the token's subject.</summary>
    public required string Principal { get; init; }

    /// <summary>DER UTF8String extensions 1.3.6.1.4.1.57264.1.8 and up, keyed by full OID.</summary>
    public Dictionary<string, string> Extensions { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Deprecated extensions 1.3.6.1.4.1.57264.1.1 to .6 whose value is the raw string bytes, keyed by full OID.</summary>
    public Dictionary<string, string> LegacyExtensions { get; init; } = new(StringComparer.Ordinal);

    public static FulcioIdentity ForEmail(string issuer, string email) => new()
    {
        Issuer = issuer,
        Email = email,
        Principal = email,
        Extensions = { [OidPrefix + "8"] = issuer },
        LegacyExtensions = { [OidPrefix + "1"] = issuer },
    };

    public static FulcioIdentity FromClaims(JsonObject claims, string gitHubServerUrl = "https://github.com")
    {
        var issuer = Claim(claims, "iss") ?? throw NotCertifiable("the token has no 'iss' claim");
        var subject = Claim(claims, "sub") ?? throw NotCertifiable("the token has no 'sub' claim");
        var email = Claim(claims, "email");

        var jobWorkflowRef = Claim(claims, "job_workflow_ref");
        if (jobWorkflowRef is not null)
        {
            return FromGitHubClaims(claims, issuer, subject, jobWorkflowRef, gitHubServerUrl);
        }

        if (email is not null)
        {
            if (claims["email_verified"] is JsonValue verified && verified.GetValueKind() == System.Text.Json.JsonValueKind.False)
            {
                throw NotCertifiable("the token's email is not verified (email_verified is false)");
            }

            return ForEmail(issuer, email);
        }

        if (System.Uri.TryCreate(subject, UriKind.Absolute, out _))
        {
            return new FulcioIdentity
            {
                Issuer = issuer,
                Uri = subject,
                Principal = subject,
                Extensions = { [OidPrefix + "8"] = issuer },
                LegacyExtensions = { [OidPrefix + "1"] = issuer },
            };
        }

        throw NotCertifiable("the token has no email claim, its subject is not a URI and it has no 'job_workflow_ref' claim");
    }

    private static FulcioIdentity FromGitHubClaims(JsonObject claims, string issuer, string subject, string jobWorkflowRef, string server)
    {
        var identity = new FulcioIdentity { Issuer = issuer, Uri = $"{server}/{jobWorkflowRef}", Principal = subject };
        var ext = identity.Extensions;
        var legacy = identity.LegacyExtensions;
        ext[OidPrefix + "8"] = issuer;
        legacy[OidPrefix + "1"] = issuer;

        void Add(Dictionary<string, string> target, int arc, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                target[OidPrefix + arc.ToString(System.Globalization.CultureInfo.InvariantCulture)] = value;
            }
        }

        var repository = Claim(claims, "repository");
        var sha = Claim(claims, "sha");
        var eventName = Claim(claims, "event_name");
        var reference = Claim(claims, "ref");
        var runId = Claim(claims, "run_id");
        var runAttempt = Claim(claims, "run_attempt");

        Add(legacy, 2, eventName);
        Add(legacy, 3, sha);
        Add(legacy, 4, Claim(claims, "workflow"));
        Add(legacy, 5, repository);
        Add(legacy, 6, reference);

        Add(ext, 9, $"{server}/{jobWorkflowRef}");
        Add(ext, 10, Claim(claims, "job_workflow_sha"));
        Add(ext, 11, Claim(claims, "runner_environment"));
        Add(ext, 12, repository is null ? null : $"{server}/{repository}");
        Add(ext, 13, sha);
        Add(ext, 14, reference);
        Add(ext, 15, Claim(claims, "repository_id"));
        var owner = Claim(claims, "repository_owner");
        Add(ext, 16, owner is null ? null : $"{server}/{owner}");
        Add(ext, 17, Claim(claims, "repository_owner_id"));
        var workflowRef = Claim(claims, "workflow_ref");
        Add(ext, 18, workflowRef is null ? null : $"{server}/{workflowRef}");
        Add(ext, 19, Claim(claims, "workflow_sha"));
        Add(ext, 20, eventName);
        Add(ext, 21, repository is null || runId is null ? null : $"{server}/{repository}/actions/runs/{runId}/attempts/{runAttempt ?? "1"}");
        Add(ext, 22, Claim(claims, "repository_visibility"));
        Add(ext, 23, Claim(claims, "environment"));
        return identity;
    }

    private static string? Claim(JsonObject claims, string name) =>
        claims[name] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : null;

    private static SigstoreException NotCertifiable(string why) =>
        new(LocalStackCodes.IdentityNotCertifiable,
            $"No certificate can be issued because {why}. Mint the token with an email, a URI subject or GitHub Actions claims.");
}

using System.Formats.Asn1;

namespace SigstoreBuild.LocalStack.Pki;

/// <summary>Small DER surgery on certificates: the TBS part, and removing one extension from it (CT precert flow).</summary>
public static class X509Der
{
    public static byte[] GetTbsCertificate(byte[] certificateDer)
    {
        var reader = new AsnReader(certificateDer, AsnEncodingRules.DER);
        var certificate = reader.ReadSequence();
        return certificate.ReadEncodedValue().ToArray();
    }

    public static bool HasExtension(byte[] tbsDer, string oid) => ReadExtensions(tbsDer).Any(e => e.Oid == oid);

    public static byte[] RemoveExtension(byte[] tbsDer, string oid)
    {
        var reader = new AsnReader(tbsDer, AsnEncodingRules.DER).ReadSequence();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            while (reader.HasData)
            {
                var tag = reader.PeekTag();
                if (tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 3)))
                {
                    var explicitExtensions = reader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true));
                    var extensions = explicitExtensions.ReadSequence();
                    using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true)))
                    using (writer.PushSequence())
                    {
                        while (extensions.HasData)
                        {
                            var encoded = extensions.ReadEncodedValue();
                            var extension = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence();
                            if (extension.ReadObjectIdentifier() != oid)
                            {
                                writer.WriteEncodedValue(encoded.Span);
                            }
                        }
                    }
                }
                else
                {
                    writer.WriteEncodedValue(reader.ReadEncodedValue().Span);
                }
            }
        }

        return writer.Encode();
    }

    public static IReadOnlyList<(string Oid, bool Critical, byte[] Value)> ReadExtensions(byte[] tbsDer)
    {
        var result = new List<(string, bool, byte[])>();
        var reader = new AsnReader(tbsDer, AsnEncodingRules.DER).ReadSequence();
        while (reader.HasData)
        {
            if (!reader.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 3)))
            {
                reader.ReadEncodedValue();
                continue;
            }

            var extensions = reader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true)).ReadSequence();
            while (extensions.HasData)
            {
                var extension = extensions.ReadSequence();
                var oid = extension.ReadObjectIdentifier();
                var critical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                result.Add((oid, critical, extension.ReadOctetString()));
            }
        }

        return result;
    }
}

namespace Tunnel.Messages.Mail;

/// <summary>The MAIL FROM BODY= parameter (RFC 6152), carried to the next hop.</summary>
public enum BodyType
{
    Unspecified = 0,
    SevenBit = 1,
    EightBitMime = 2,
}

using System.Text;

namespace Tunnel.Cluster.Outbound;

/// <summary>xtext (RFC 3461 §4): the encoding of ENVID and ORCPT values on the wire. Pure.</summary>
public static class Xtext
{
    /// <summary>Characters outside "!".."~", and "+" and "=", become "+XX" (upper-case hex).</summary>
    public static string Encode(string text)
    {
        var output = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= (byte)'!' and <= (byte)'~' and not (byte)'+' and not (byte)'=') output.Append((char)b);
            else output.Append('+').Append(b.ToString("X2"));
        }
        return output.ToString();
    }
}

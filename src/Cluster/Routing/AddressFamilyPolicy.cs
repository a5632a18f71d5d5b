namespace Tunnel.Cluster.Routing;

/// <summary>
/// In which order a destination's address families are tried (<c>tunnel.outbound.family-policy</c>,
/// per domain in <c>tunnel.outbound.family-policy-by-domain</c>). Big providers refuse IPv6 mail
/// without matching reverse DNS, so operators force IPv4 for them.
/// </summary>
public enum AddressFamilyPolicy
{
    /// <summary>Alternate IPv6 and IPv4, IPv6 first, so both families are tried within the address limit.</summary>
    Any,
    Ipv6ThenIpv4,
    Ipv4ThenIpv6,
    Ipv6Only,
    Ipv4Only,
}

public static class AddressFamilyPolicyNames
{
    public static readonly IReadOnlyDictionary<string, AddressFamilyPolicy> ByName = new Dictionary<string, AddressFamilyPolicy>
    {
        ["any"] = AddressFamilyPolicy.Any,
        ["ipv6-then-ipv4"] = AddressFamilyPolicy.Ipv6ThenIpv4,
        ["ipv4-then-ipv6"] = AddressFamilyPolicy.Ipv4ThenIpv6,
        ["ipv6-only"] = AddressFamilyPolicy.Ipv6Only,
        ["ipv4-only"] = AddressFamilyPolicy.Ipv4Only,
    };
}

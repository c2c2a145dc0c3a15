using System.Net;
using System.Net.Sockets;

namespace DraSdk.Cel.Internal;

/// <summary>A parsed URL: an absolute URI or an absolute path.</summary>
internal sealed class UrlValue(string original, string scheme, string host, string port, string hostname, string escapedPath, string query)
{
    public string Original { get; } = original;

    public string Scheme { get; } = scheme;

    public string Host { get; } = host;

    public string Port { get; } = port;

    public string Hostname { get; } = hostname;

    public string EscapedPath { get; } = escapedPath;

    public string Query { get; } = query;

    public override string ToString() => Original;

    public static UrlValue? Parse(string s)
    {
        if (s.StartsWith('/'))
        {
            int q = s.IndexOf('?', StringComparison.Ordinal);
            return new UrlValue(s, "", "", "", "", q < 0 ? s : s[..q], q < 0 ? "" : s[(q + 1)..]);
        }

        if (!Uri.TryCreate(s, UriKind.Absolute, out Uri? u) || s.Contains(' ', StringComparison.Ordinal))
        {
            return null;
        }

        string host = u.IsDefaultPort || u.Port < 0 ? u.Authority : u.Authority;
        bool explicitPort = u.Authority.Length > 0 && s.Contains(u.Authority, StringComparison.Ordinal) && HasExplicitPort(s, u);
        string port = explicitPort ? u.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
        string hostname = u.HostNameType == UriHostNameType.IPv6 ? u.Host.Trim('[', ']') : u.Host;
        string authority = explicitPort ? $"{u.Host}:{port}" : u.Host;
        return new UrlValue(s, u.Scheme, u.Authority.Length == 0 ? "" : authority, port, hostname, u.AbsolutePath, u.Query.TrimStart('?'));
        static bool HasExplicitPort(string s, Uri u)
        {
            int schemeEnd = s.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd < 0)
            {
                return false;
            }

            string rest = s[(schemeEnd + 3)..];
            int end = rest.IndexOfAny(['/', '?', '#']);
            string auth = end < 0 ? rest : rest[..end];
            int at = auth.LastIndexOf('@');
            if (at >= 0)
            {
                auth = auth[(at + 1)..];
            }

            int bracket = auth.LastIndexOf(']');
            return auth.IndexOf(':', bracket + 1) >= 0;
        }
    }
}

internal sealed partial class Library
{
    private static readonly CelType UrlT = CelType.Url;
    private static readonly CelType IPT = CelType.IP;
    private static readonly CelType CidrT = CelType.Cidr;

    private void RegisterNet()
    {
        G1("url", Str, UrlT, static (ref EvalState s, Value a) =>
            UrlValue.Parse(a.AsString) is { } u ? new Value(ValueKind.Url, u) : Value.Error($"URL parse error during conversion from string: {a.AsString}"));
        G1("isURL", Str, Bool, static (ref EvalState s, Value a) => Value.Bool(UrlValue.Parse(a.AsString) is not null));
        M0("getScheme", UrlT, Str, static (ref EvalState s, Value a) => Value.String(((UrlValue)a.Ref!).Scheme));
        M0("getHost", UrlT, Str, static (ref EvalState s, Value a) => Value.String(((UrlValue)a.Ref!).Host));
        M0("getHostname", UrlT, Str, static (ref EvalState s, Value a) => Value.String(((UrlValue)a.Ref!).Hostname));
        M0("getPort", UrlT, Str, static (ref EvalState s, Value a) => Value.String(((UrlValue)a.Ref!).Port));
        M0("getEscapedPath", UrlT, Str, static (ref EvalState s, Value a) => Value.String(((UrlValue)a.Ref!).EscapedPath));
        M0("getQuery", UrlT, CelType.MapOf(Str, CelType.ListOf(Str)), static (ref EvalState s, Value a) =>
        {
            var groups = new Dictionary<string, List<Value>>(StringComparer.Ordinal);
            foreach (string part in ((UrlValue)a.Ref!).Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                string k = Uri.UnescapeDataString((eq < 0 ? part : part[..eq]).Replace('+', ' '));
                string v = eq < 0 ? "" : Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '));
                if (!groups.TryGetValue(k, out var list))
                {
                    groups[k] = list = [];
                }

                list.Add(Value.String(v));
            }

            var map = new Dictionary<string, Value>(StringComparer.Ordinal);
            foreach (var (k, list) in groups)
            {
                map[k] = Value.List([.. list]);
            }

            return Value.Map(new StringMapValue(map));
        });

        G1("ip", Str, IPT, static (ref EvalState s, Value a) =>
            ParseIP(a.AsString) is { } ip ? Value.IP(ip) : Value.Error($"IP Address '{a.AsString}' parse error during conversion from string"));
        G1("isIP", Str, Bool, static (ref EvalState s, Value a) => Value.Bool(ParseIP(a.AsString) is not null));
        G1("ip.isCanonical", Str, Bool, static (ref EvalState s, Value a) =>
            ParseIP(a.AsString) is { } ip ? Value.Bool(ip.ToString() == a.AsString) : Value.Error($"IP Address '{a.AsString}' parse error"));
        M0("family", IPT, Int, static (ref EvalState s, Value a) => Value.Int(((IPAddress)a.Ref!).AddressFamily == AddressFamily.InterNetwork ? 4 : 6));
        M0("isUnspecified", IPT, Bool, static (ref EvalState s, Value a) =>
            Value.Bool(((IPAddress)a.Ref!).Equals(IPAddress.Any) || ((IPAddress)a.Ref!).Equals(IPAddress.IPv6Any)));
        M0("isLoopback", IPT, Bool, static (ref EvalState s, Value a) => Value.Bool(IPAddress.IsLoopback((IPAddress)a.Ref!)));
        M0("isLinkLocalMulticast", IPT, Bool, static (ref EvalState s, Value a) =>
        {
            byte[] b = ((IPAddress)a.Ref!).GetAddressBytes();
            return Value.Bool(b.Length == 4 ? b[0] == 224 && b[1] == 0 && b[2] == 0 : b[0] == 0xff && (b[1] & 0x0f) == 0x02);
        });
        M0("isLinkLocalUnicast", IPT, Bool, static (ref EvalState s, Value a) =>
        {
            byte[] b = ((IPAddress)a.Ref!).GetAddressBytes();
            return Value.Bool(b.Length == 4 ? b[0] == 169 && b[1] == 254 : b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
        });
        M0("isGlobalUnicast", IPT, Bool, static (ref EvalState s, Value a) =>
        {
            var ip = (IPAddress)a.Ref!;
            byte[] b = ip.GetAddressBytes();
            bool special = IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) ||
                (b.Length == 4 ? (b[0] == 169 && b[1] == 254) || b[0] >= 224 || ip.Equals(IPAddress.Broadcast) : (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff);
            return Value.Bool(!special);
        });
        G1("string", IPT, Str, static (ref EvalState s, Value a) => Value.String(a.Ref!.ToString()!));

        G1("cidr", Str, CidrT, static (ref EvalState s, Value a) =>
            ParseCidr(a.AsString) is { } c ? Value.Cidr(c) : Value.Error($"network address parse error during conversion from string: {a.AsString}"));
        G1("isCIDR", Str, Bool, static (ref EvalState s, Value a) => Value.Bool(ParseCidr(a.AsString) is not null));
        M1("containsIP", CidrT, IPT, Bool, static (ref EvalState s, Value a, Value b) => Value.Bool(Contains((CidrValue)a.Ref!, (IPAddress)b.Ref!)));
        M1("containsIP", CidrT, Str, Bool, static (ref EvalState s, Value a, Value b) =>
            ParseIP(b.AsString) is { } ip ? Value.Bool(Contains((CidrValue)a.Ref!, ip)) : Value.Error($"IP Address '{b.AsString}' parse error"));
        M1("containsCIDR", CidrT, CidrT, Bool, static (ref EvalState s, Value a, Value b) => Value.Bool(ContainsCidr((CidrValue)a.Ref!, (CidrValue)b.Ref!)));
        M1("containsCIDR", CidrT, Str, Bool, static (ref EvalState s, Value a, Value b) =>
            ParseCidr(b.AsString) is { } c ? Value.Bool(ContainsCidr((CidrValue)a.Ref!, c)) : Value.Error($"network address parse error: {b.AsString}"));
        M0("ip", CidrT, IPT, static (ref EvalState s, Value a) => Value.IP(((CidrValue)a.Ref!).Address));
        M0("masked", CidrT, CidrT, static (ref EvalState s, Value a) =>
        {
            var c = (CidrValue)a.Ref!;
            return Value.Cidr(new CidrValue(Mask(c.Address, c.PrefixLength), c.PrefixLength));
        });
        M0("prefixLength", CidrT, Int, static (ref EvalState s, Value a) => Value.Int(((CidrValue)a.Ref!).PrefixLength));
        G1("string", CidrT, Str, static (ref EvalState s, Value a) => Value.String(a.Ref!.ToString()!));
    }

    private static IPAddress? ParseIP(string s)
    {
        if (s.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(s, out var ip))
        {
            return null;
        }

        // IPv4 must be dotted quad; IPv4-mapped IPv6 is not allowed.
        if (ip.AddressFamily == AddressFamily.InterNetwork && s.Split('.').Length != 4)
        {
            return null;
        }

        if (ip.AddressFamily == AddressFamily.InterNetworkV6 && (ip.IsIPv4MappedToIPv6 || !s.Contains(':', StringComparison.Ordinal)))
        {
            return null;
        }

        return ip;
    }

    private static CidrValue? ParseCidr(string s)
    {
        int slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || ParseIP(s[..slash]) is not { } ip ||
            !int.TryParse(s.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int len))
        {
            return null;
        }

        int max = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        return len > max ? null : new CidrValue(ip, len);
    }

    private static IPAddress Mask(IPAddress ip, int prefix)
    {
        byte[] b = ip.GetAddressBytes();
        for (int i = 0; i < b.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            b[i] &= (byte)(0xFF << (8 - bits));
        }

        return new IPAddress(b);
    }

    private static bool Contains(CidrValue c, IPAddress ip) =>
        ip.AddressFamily == c.Address.AddressFamily && Mask(ip, c.PrefixLength).Equals(Mask(c.Address, c.PrefixLength));

    private static bool ContainsCidr(CidrValue outer, CidrValue inner) =>
        inner.PrefixLength >= outer.PrefixLength && Contains(outer, inner.Address);
}

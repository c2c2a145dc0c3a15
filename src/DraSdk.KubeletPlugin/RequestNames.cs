namespace DraSdk.KubeletPlugin;

/// <summary>Helpers for request references in allocation results (<c>request</c> or <c>request/subrequest</c>).</summary>
public static class RequestNames
{
    /// <summary>The base request name: <c>gpu/large</c> becomes <c>gpu</c>; a plain name is returned unchanged.</summary>
    /// <param name="request">A request reference.</param>
    public static string BaseName(string request)
    {
        ArgumentNullException.ThrowIfNull(request);
        int slash = request.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? request : request[..slash];
    }

    /// <summary>Whether the reference names a subrequest of a prioritized-list request.</summary>
    /// <param name="request">A request reference.</param>
    public static bool IsSubrequest(string request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Contains('/', StringComparison.Ordinal);
    }
}

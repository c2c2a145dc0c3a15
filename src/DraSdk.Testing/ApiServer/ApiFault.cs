namespace DraSdk.Testing;

/// <summary>
/// A failure injected with <see cref="InMemoryKubernetesApiServer.InjectFault"/>: matching requests are answered with
/// an error Status instead of being served.
/// </summary>
public sealed class ApiFault
{
    private int _hits;
    private int _remaining;

    internal ApiFault(string method, string resource, string? name, int statusCode, int? count, TimeSpan? retryAfter, string? message)
    {
        Method = method;
        Resource = resource;
        Name = name;
        StatusCode = statusCode;
        Count = count;
        _remaining = count ?? int.MaxValue;
        RetryAfter = retryAfter;
        Message = message ?? $"injected fault: {statusCode}";
    }

    /// <summary>An HTTP method in upper case (<c>GET</c>, <c>PUT</c>…), a Kubernetes verb in lower case (<c>get</c>, <c>list</c>, <c>watch</c>, <c>create</c>, <c>update</c>, <c>patch</c>, <c>delete</c>, <c>deletecollection</c>), or <c>*</c>.</summary>
    public string Method { get; }

    /// <summary>The resource plural (<c>resourceslices</c>), a subresource (<c>resourceclaims/status</c>), or <c>*</c>.</summary>
    public string Resource { get; }

    /// <summary>The object name to match, or null for any.</summary>
    public string? Name { get; }

    /// <summary>The HTTP status answered.</summary>
    public int StatusCode { get; }

    /// <summary>How many requests fail, or null for every matching request until <see cref="InMemoryKubernetesApiServer.ClearFaults"/>.</summary>
    public int? Count { get; }

    /// <summary>The <c>Retry-After</c> header (whole seconds) and <c>details.retryAfterSeconds</c>, if set.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The Status message.</summary>
    public string Message { get; }

    /// <summary>How many requests this fault has failed so far.</summary>
    public int Hits => Volatile.Read(ref _hits);

    internal bool TryFire(ApiRequest request)
    {
        if (!Matches(request))
        {
            return false;
        }

        if (Interlocked.Decrement(ref _remaining) < 0)
        {
            Interlocked.Increment(ref _remaining);
            return false;
        }

        Interlocked.Increment(ref _hits);
        return true;
    }

    internal bool Exhausted => Count is not null && Volatile.Read(ref _remaining) <= 0;

    private bool Matches(ApiRequest request) =>
        (Method == "*" || Method == request.Method || Method == request.Verb)
        && (Resource == "*" || Resource == request.Resource)
        && (Name is null || Name == request.Name);
}

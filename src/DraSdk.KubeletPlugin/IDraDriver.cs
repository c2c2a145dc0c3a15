namespace DraSdk.KubeletPlugin;

/// <summary>
/// The node-side logic of a DRA driver: what the kubelet asks of it. The SDK fetches and checks each claim,
/// serializes calls, and turns results into the kubelet's wire format; an implementation only prepares and
/// unprepares. Most drivers derive from <see cref="DraDriver"/>, which handles one claim at a time.
/// </summary>
public interface IDraDriver
{
    /// <summary>
    /// Prepares claims for use by containers on this node. Must be idempotent: the kubelet calls it again
    /// for claims it already prepared (for example after a driver restart).
    /// </summary>
    /// <param name="claims">Claims fetched from the API server, checked to be allocated and to have the UID the kubelet asked for.</param>
    /// <param name="cancellationToken">Cancelled when the kubelet gives up on the call or the driver shuts down.</param>
    /// <returns>One result per claim, keyed by claim UID. A claim without an entry is reported to the kubelet as failed.</returns>
    /// <remarks>An exception fails the whole call (the kubelet retries); a per-claim failure belongs in a <see cref="PrepareResult"/>.</remarks>
    Task<IReadOnlyDictionary<string, PrepareResult>> PrepareResourceClaimsAsync(
        IReadOnlyList<PreparableClaim> claims, CancellationToken cancellationToken);

    /// <summary>
    /// Undoes <see cref="PrepareResourceClaimsAsync"/>. Must be idempotent: a claim that is not prepared is not an error.
    /// The claim may no longer exist in the API server, so only its namespace, name and UID are given.
    /// </summary>
    /// <param name="claims">The claims to unprepare.</param>
    /// <param name="cancellationToken">Cancelled when the kubelet gives up on the call or the driver shuts down.</param>
    /// <returns>One result per claim, keyed by claim UID. A claim without an entry is reported to the kubelet as failed.</returns>
    Task<IReadOnlyDictionary<string, UnprepareResult>> UnprepareResourceClaimsAsync(
        IReadOnlyList<ClaimReference> claims, CancellationToken cancellationToken);
}

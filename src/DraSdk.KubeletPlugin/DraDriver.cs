namespace DraSdk.KubeletPlugin;

/// <summary>
/// A convenient base for a DRA driver that prepares one claim at a time. An exception thrown for one claim
/// becomes that claim's error; the other claims of the call are still prepared.
/// </summary>
public abstract class DraDriver : IDraDriver
{
    /// <summary>Prepares one claim. Must be idempotent.</summary>
    /// <param name="claim">The claim, with this driver's allocated devices and opaque configs.</param>
    /// <param name="cancellationToken">Cancelled when the call is abandoned.</param>
    /// <returns>The prepared devices, or a failure with a message for the user.</returns>
    protected abstract ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken);

    /// <summary>Unprepares one claim. Must be idempotent; a claim that is not prepared is not an error.</summary>
    /// <param name="claim">The claim's namespace, name and UID.</param>
    /// <param name="cancellationToken">Cancelled when the call is abandoned.</param>
    /// <returns>Success, or a failure with a message.</returns>
    protected abstract ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, PrepareResult>> PrepareResourceClaimsAsync(
        IReadOnlyList<PreparableClaim> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var results = new Dictionary<string, PrepareResult>(claims.Count, StringComparer.Ordinal);
        foreach (PreparableClaim claim in claims)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                results[claim.Uid] = await PrepareClaimAsync(claim, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                results[claim.Uid] = PrepareResult.Failure($"prepare {claim.Reference}: {ex.Message}");
            }
        }

        return results;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, UnprepareResult>> UnprepareResourceClaimsAsync(
        IReadOnlyList<ClaimReference> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var results = new Dictionary<string, UnprepareResult>(claims.Count, StringComparer.Ordinal);
        foreach (ClaimReference claim in claims)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                results[claim.Uid] = await UnprepareClaimAsync(claim, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                results[claim.Uid] = UnprepareResult.Failure($"unprepare {claim}: {ex.Message}");
            }
        }

        return results;
    }
}

using DraSdk.KubeletPlugin;

namespace DraSdk.Preparation;

/// <summary>
/// The device-specific part of a driver whose devices reach containers through CDI: for a claim, what each allocated
/// device gets in the container. Register it with <c>services.AddCdiDriver&lt;TDriver&gt;(kind)</c>; the SDK's
/// pipeline does everything else around it (CDI specs, checkpoint, repeated prepares, exclusivity, recovery, unprepare).
/// </summary>
public interface ICdiDriver
{
    /// <summary>
    /// Plans a claim: what each of its devices gets in the container, and what the claim gets as a whole. Must be pure
    /// (no side effects; real ones go in <see cref="IClaimSideEffects"/>): it may run again for the same claim.
    /// </summary>
    /// <param name="claim">The claim, fetched and checked by the SDK; only this driver's devices and configs.</param>
    /// <param name="cancellationToken">The kubelet's call ended.</param>
    /// <returns>The plan, or <see cref="ClaimPlan.Failure"/> with a message for the claim's user.</returns>
    /// <remarks>An <see cref="OpaqueConfigException"/> thrown here becomes the claim's error, as a failure would.</remarks>
    ValueTask<ClaimPlan> PlanAsync(PreparableClaim claim, CancellationToken cancellationToken);
}

/// <summary>
/// Real side effects of preparing a claim, beyond the CDI spec (start an MPS daemon, set a time-slice, create a
/// partition), with their undo. Implement it on the <see cref="ICdiDriver"/>. Both must be idempotent: the pipeline
/// applies again after a reboot (or when the claim's spec was lost), and undoes a prepare that a kill interrupted, from
/// the stored plan, before the kubelet can call.
/// </summary>
public interface IClaimSideEffects
{
    /// <summary>Applies what the claim needs; called after the plan and before the kubelet gets its answer.</summary>
    /// <param name="claim">The prepared claim, as planned (and stored).</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <remarks>An exception fails the claim: the pipeline undoes it, removes its spec and reports the message.</remarks>
    ValueTask ApplyAsync(PreparedClaim claim, CancellationToken cancellationToken);

    /// <summary>Undoes <see cref="ApplyAsync"/>, wholly or partly applied; at unprepare and after an interrupted prepare.</summary>
    /// <param name="claim">The claim, as stored.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <remarks>An exception at unprepare fails it (the kubelet retries); the claim stays recorded until undo succeeds.</remarks>
    ValueTask UndoAsync(PreparedClaim claim, CancellationToken cancellationToken);
}

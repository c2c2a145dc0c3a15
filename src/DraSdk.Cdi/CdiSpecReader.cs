using System.Diagnostics.CodeAnalysis;
using DraSdk.Cdi.Internal;

namespace DraSdk.Cdi;

/// <summary>
/// Reads CDI spec files (JSON or YAML) as strictly as the runtimes' CDI library does, then validates them: unknown
/// fields, duplicate keys, wrong types, unknown or too-low <c>cdiVersion</c>s and invalid content are all errors, and
/// every problem is reported with its file, field path and line. Thread-safe.
/// </summary>
/// <remarks>
/// Field names match case-insensitively, as in the runtimes (<c>CDIVersion</c> reads as <c>cdiVersion</c>); two keys
/// naming the same field are an error. <c>null</c> means "not set". A file whose first character is <c>{</c> is read
/// as JSON, any other as YAML (one document; anchors and aliases work, merge keys <c>&lt;&lt;</c> do not). Limits keep
/// hostile input cheap: at most 4 MiB, 32 levels of nesting and 1,000,000 values after YAML aliases are expanded.
/// </remarks>
public static class CdiSpecReader
{
    /// <summary>Reads and validates the spec file at <paramref name="path"/>.</summary>
    /// <param name="path">The file, e.g. <c>/etc/cdi/vendor.yaml</c>.</param>
    /// <returns>The spec, with its <see cref="CdiSpec.Version"/> set.</returns>
    /// <exception cref="CdiSpecException">The file is not a valid spec; every problem is listed.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static CdiSpec Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] content = ReadBounded(path, out bool tooLarge);
        if (tooLarge)
        {
            throw new CdiSpecException([TooLarge(path)]);
        }

        return Parse(content, path);
    }

    /// <summary>Reads and validates the spec file at <paramref name="path"/>, reporting problems instead of throwing.</summary>
    /// <param name="path">The file.</param>
    /// <param name="spec">The spec, when valid.</param>
    /// <param name="errors">Every problem, including one for a file that could not be read; empty when valid.</param>
    /// <returns><see langword="true"/> when the file is a valid spec.</returns>
    public static bool TryRead(string path, [NotNullWhen(true)] out CdiSpec? spec, out IReadOnlyList<CdiSpecError> errors)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] content;
        try
        {
            content = ReadBounded(path, out bool tooLarge);
            if (tooLarge)
            {
                spec = null;
                errors = [TooLarge(path)];
                return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            spec = null;
            errors = [new CdiSpecError(path, null, $"cannot read the file: {e.Message}")];
            return false;
        }

        return TryParse(content, path, out spec, out errors);
    }

    /// <summary>Parses and validates a spec from the bytes of a file.</summary>
    /// <param name="content">UTF-8 JSON or YAML.</param>
    /// <param name="sourceName">The name used in errors, usually the file's path.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="CdiSpecException">The content is not a valid spec; every problem is listed.</exception>
    public static CdiSpec Parse(ReadOnlySpan<byte> content, string sourceName) =>
        TryParse(content, sourceName, out CdiSpec? spec, out IReadOnlyList<CdiSpecError> errors)
            ? spec
            : throw new CdiSpecException(errors);

    /// <summary>Parses and validates a spec from the bytes of a file, reporting problems instead of throwing.</summary>
    /// <param name="content">UTF-8 JSON or YAML.</param>
    /// <param name="sourceName">The name used in errors, usually the file's path.</param>
    /// <param name="spec">The spec, when valid.</param>
    /// <param name="errors">Every problem; empty when valid.</param>
    /// <returns><see langword="true"/> when the content is a valid spec.</returns>
    public static bool TryParse(ReadOnlySpan<byte> content, string sourceName, [NotNullWhen(true)] out CdiSpec? spec, out IReadOnlyList<CdiSpecError> errors)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        var found = new List<CdiSpecError>();
        spec = null;
        errors = found;
        SpecNode? root = SpecDocumentReader.Read(content, sourceName, found);
        if (root is null)
        {
            return false;
        }

        CdiSpec? mapped = SpecMapper.Map(root, sourceName, found, out Dictionary<string, (int Line, int Column)> positions);
        if (mapped is null || found.Count > 0)
        {
            errors = InDocumentOrder(found);
            return false;
        }

        foreach (CdiValidationError error in SpecValidator.Validate(mapped, strictVendor: false))
        {
            (int line, int column) = FindPosition(positions, error.Field);
            string message = error.Message.Length <= 512 ? error.Message : string.Concat(error.Message.AsSpan(0, 509), "...");
            found.Add(new CdiSpecError(sourceName, error.Field, message, line, column));
        }

        if (found.Count > 0)
        {
            errors = InDocumentOrder(found);
            return false;
        }

        spec = mapped;
        return true;
    }

    private static CdiSpecError[] InDocumentOrder(List<CdiSpecError> errors) =>
        [.. errors.OrderBy(e => e.Line).ThenBy(e => e.Column)];

    private static (int Line, int Column) FindPosition(Dictionary<string, (int Line, int Column)> positions, string field)
    {
        string path = field;
        while (true)
        {
            if (positions.TryGetValue(path, out (int Line, int Column) at))
            {
                return at;
            }

            int cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
            {
                return positions.TryGetValue(string.Empty, out at) ? at : (0, 0);
            }

            path = path[..cut];
        }
    }

    private static CdiSpecError TooLarge(string path) =>
        new(path, null, $"the file is larger than the {SpecLimits.MaxFileBytes} bytes a spec may have");

    /// <summary>Reads at most the limit plus one byte, so a huge file (or /dev/zero behind a link) is not read whole.</summary>
    private static byte[] ReadBounded(string path, out bool tooLarge)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        var buffer = new MemoryStream();
        byte[] chunk = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, SpecLimits.MaxFileBytes + 1 - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > SpecLimits.MaxFileBytes)
            {
                tooLarge = true;
                return [];
            }
        }

        tooLarge = false;
        return buffer.ToArray();
    }
}

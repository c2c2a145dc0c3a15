// Shared source, compiled into each package that needs it (linked, internal): an atomic file write
// that survives a kill at any point. Readers see either the old content or the new, never a mix.
using System.Runtime.InteropServices;

namespace DraSdk.Internal;

internal static partial class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically: a temporary file in the same
    /// directory is written, flushed to disk (fsync), given <paramref name="mode"/>, renamed over the target,
    /// and the directory entry is flushed too, so the rename itself survives a crash. With <paramref name="durable"/>
    /// false nothing is flushed: the write still survives a kill of the process at any point (rename is atomic, and
    /// the page cache outlives the process), but not a power loss.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, bool durable = true)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.tmp-{Guid.NewGuid():N}");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = mode;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: durable);
            }

            if (!OperatingSystem.IsWindows())
            {
                // UnixCreateMode is filtered by the umask; set the exact mode.
                File.SetUnixFileMode(temp, mode);
            }

            File.Move(temp, fullPath, overwrite: true);
            if (durable)
            {
                FlushDirectory(directory);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes <paramref name="path"/> and flushes its directory; a missing file is not an error.</summary>
    public static bool Delete(string path, bool durable = true)
    {
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            return false;
        }

        File.Delete(fullPath);
        if (durable)
        {
            FlushDirectory(Path.GetDirectoryName(fullPath)!);
        }

        return true;
    }

    /// <summary>Removes temporary files that a killed writer left in <paramref name="directory"/>.</summary>
    public static void RemoveLeftovers(string directory, string fileName)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (string leftover in Directory.EnumerateFiles(directory, $".{fileName}.tmp-*"))
        {
            TryDelete(leftover);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = NativeMethods.open(directory, NativeMethods.O_RDONLY | NativeMethods.O_DIRECTORY | NativeMethods.O_CLOEXEC);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = NativeMethods.fsync(fd);
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    private static partial class NativeMethods
    {
        internal const int O_RDONLY = 0;
        internal const int O_DIRECTORY = 0x10000;
        internal const int O_CLOEXEC = 0x80000;

        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync")]
        internal static partial int fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close")]
        internal static partial int close(int fd);
    }
}

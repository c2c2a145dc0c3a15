using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>Where the plugin's two Unix sockets live, and how they are named for rolling updates.</summary>
internal static class SocketPaths
{
    /// <summary>The longest socket path AF_UNIX accepts: 108 bytes of sun_path including the terminating NUL.</summary>
    public const int MaxPathBytes = 107;

    public static string RegistrationSocket(DraDriverOptions options) =>
        string.IsNullOrEmpty(options.PodUid)
            ? Path.Combine(options.RegistrarDirectoryPath, $"{options.DriverName}-reg.sock")
            : RollingUpdateRegistrationSocket(options.RegistrarDirectoryPath, options.DriverName, options.PodUid);

    public static string DraSocket(DraDriverOptions options) =>
        Path.Combine(options.EffectivePluginDataDirectoryPath, string.IsNullOrEmpty(options.PodUid) ? "dra.sock" : $"dra-{options.PodUid}.sock");

    /// <summary>
    /// The registration socket of one instance during rolling updates: the first of
    /// <c>&lt;driver&gt;-&lt;podUID&gt;-reg.sock</c>, <c>&lt;driver&gt;-&lt;hash(uid) 8 chars&gt;-reg.sock</c> and
    /// <c>dra-&lt;hash(driver) 8 chars&gt;-&lt;hash(driver, uid) 12 chars&gt;-reg.sock</c> whose full path fits the
    /// AF_UNIX limit (hashes are unpadded base64url of SHA-256). Every form says which driver it belongs to, so that
    /// <see cref="RollingUpdateRegistrationSocketPatterns"/> finds this driver's leftovers and no other driver's.
    /// </summary>
    public static string RollingUpdateRegistrationSocket(string directory, string driverName, string podUid)
    {
        string[] candidates =
        [
            $"{driverName}-{podUid}-reg.sock",
            $"{driverName}-{Hash(podUid)[..8]}-reg.sock",
            $"dra-{Hash(driverName)[..8]}-{Hash(driverName + "\0" + podUid)[..12]}-reg.sock",
        ];
        foreach (string candidate in candidates)
        {
            string path = Path.Combine(directory, candidate);
            if (Fits(path))
            {
                return path;
            }
        }

        return Path.Combine(directory, candidates[^1]);
    }

    /// <summary>File name patterns that match the registration sockets of every instance of a driver in rolling-update mode.</summary>
    public static string[] RollingUpdateRegistrationSocketPatterns(string driverName) =>
        [$"{driverName}-*-reg.sock", $"dra-{Hash(driverName)[..8]}-*-reg.sock"];

    public static bool Fits(string path) => Encoding.UTF8.GetByteCount(path) <= MaxPathBytes;

    public static void EnsureFits(string path, string what)
    {
        int bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxPathBytes)
        {
            throw new InvalidOperationException(
                $"The {what} path '{path}' is {bytes} bytes long; Unix sockets allow at most {MaxPathBytes}. Use a shorter directory.");
        }
    }

    /// <summary>Whether something accepts connections on the socket; a socket file nobody listens on is stale.</summary>
    public static bool IsListening(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Hash(string value) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(value))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

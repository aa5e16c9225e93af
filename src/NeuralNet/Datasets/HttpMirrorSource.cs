using System.IO.Compression;
using System.Net;

namespace NeuralNet.Datasets;

/// <summary>
/// Downloads gzip-compressed MNIST files over HTTP(S) from a mirror of the original distribution
/// (<c>{baseAddress}train-images-idx3-ubyte.gz</c>, ...) and decompresses them on the fly.
/// </summary>
/// <remarks>
/// The time-out applies to connecting, to receiving the response headers and to every read of the body
/// (an inactivity time-out), so an unreachable or stalled mirror fails quickly while a slow but live one
/// can finish.
/// </remarks>
internal sealed class HttpMirrorSource : IMnistSource
{
    private static readonly Lazy<HttpClient> s_client = new(CreateClient);
    private readonly Uri _baseAddress;
    private readonly TimeSpan _timeout;

    /// <summary>Creates a source for one mirror.</summary>
    /// <param name="baseAddress">The folder URL, ending with a slash, that holds <c>train-images-idx3-ubyte.gz</c> and the others.</param>
    /// <param name="timeout">The connect, response and inactivity time-out; 10 seconds when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="baseAddress"/> is not an absolute http or https URL.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive.</exception>
    public HttpMirrorSource(Uri baseAddress, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttps && baseAddress.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"Expected an absolute http or https URL but got '{baseAddress}'.", nameof(baseAddress));
        }

        _timeout = timeout ?? TimeSpan.FromSeconds(10);
        if (_timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Expected a positive time-out.");
        }

        _baseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
    }

    /// <inheritdoc/>
    public string Description => $"mirror {_baseAddress}";

    /// <inheritdoc/>
    /// <exception cref="HttpRequestException">The mirror cannot be reached or answers with an error status.</exception>
    /// <exception cref="TimeoutException">The mirror did not answer, or stopped sending, within the time-out.</exception>
    /// <exception cref="InvalidDataException">The response is not valid gzip data.</exception>
    public async Task CopyToAsync(string fileName, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(destination);
        var uri = new Uri(_baseAddress, fileName + ".gz");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using HttpResponseMessage response = await s_client.Value.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new HttpRequestException($"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
            }

            using Stream body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var gzip = new GZipStream(body, CompressionMode.Decompress);
            byte[] buffer = new byte[1 << 16];
            while (true)
            {
                timeout.CancelAfter(_timeout); // inactivity time-out: restarted before every read
                int read = await gzip.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"GET {uri}: no response or no data for {_timeout.TotalSeconds:0.#} s.", ex);
        }
    }

    private static HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }
}

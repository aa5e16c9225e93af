using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace NeuralNet.Samples.DigitServer;

/// <summary>
/// <c>POST /api/predict</c>: takes <c>Content-Type: application/json</c>, reads at most <see cref="MaxBodyBytes"/> bytes,
/// parses <c>{"pixels":[784 numbers]}</c> and answers <c>{"digit":d,"probabilities":[10 numbers]}</c>; every bad request
/// gets a 4xx status with <c>{"error":"..."}</c> (400 for the body, 415 for another content type, 408 for a body that
/// arrives too slowly). The body is read by hand (not bound by the framework) so every mistake gets a message of our own.
/// </summary>
internal static class PredictEndpoint
{
    /// <summary>The largest request body accepted: 64 KiB (784 pixels with 4 decimals take about 5 KiB).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private const string SendJson = "send the body as JSON with Content-Type: application/json";

    /// <summary>Handles one request.</summary>
    /// <param name="context">The request.</param>
    /// <param name="classifier">The shared model.</param>
    /// <returns>200 with a <see cref="Prediction"/>, or an <see cref="ErrorResponse"/> with a 4xx status (500 if the model
    /// gives a value that is not a number for this image).</returns>
    public static async Task<IResult> HandleAsync(HttpContext context, DigitClassifier classifier)
    {
        if (ContentTypeError(context.Request.ContentType) is string contentTypeError)
        {
            return Error(contentTypeError, StatusCodes.Status415UnsupportedMediaType);
        }

        (byte[]? body, int status, string? error) = await ReadBodyAsync(context, context.RequestAborted);
        if (body is null)
        {
            // The rest of the body is not read: tell the client this connection ends here, so it does not send its
            // next request on a connection that the server closes.
            context.Response.Headers.Connection = "close";
            return Error(error!, status);
        }

        if (!PixelRequest.TryParse(body, out float[]? pixels, out error))
        {
            return Error(error, StatusCodes.Status400BadRequest);
        }

        Prediction prediction = classifier.Predict(pixels);
        if (Array.Exists(prediction.Probabilities, p => !float.IsFinite(p)))
        {
            // JSON has no NaN: without this the serializer would fail and the client would get an empty 500.
            return Error($"the model gave a value that is not a finite number for this image; {classifier.Source} cannot answer it", StatusCodes.Status500InternalServerError);
        }

        return Results.Ok(prediction);
    }

    private static IResult Error(string error, int status) => Results.Json(new ErrorResponse(error), statusCode: status);

    /// <summary>Null when the request says its body is JSON in UTF-8 (<c>application/json</c>, with no charset or utf-8); otherwise why not.</summary>
    private static string? ContentTypeError(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return $"the request has no Content-Type; {SendJson}";
        }

        if (!MediaTypeHeaderValue.TryParse(header, out MediaTypeHeaderValue? type)
            || !type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return $"the request's Content-Type is {Shorten(header)}; {SendJson}";
        }

        StringSegment charset = HeaderUtilities.RemoveQuotes(type.Charset);
        if (charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return $"the request's Content-Type has charset={Shorten(charset.Value!)}; JSON must be UTF-8 ({SendJson})";
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");

    /// <summary>Reads the whole body, or stops as soon as it is larger than <see cref="MaxBodyBytes"/> or cannot be read.</summary>
    /// <returns>The body; or null, the status to answer with and why.</returns>
    private static async Task<(byte[]? Body, int Status, string? Error)> ReadBodyAsync(HttpContext context, CancellationToken cancellationToken)
    {
        string tooLarge = string.Create(CultureInfo.InvariantCulture, $"the request body is larger than the limit of {MaxBodyBytes} bytes");
        long? declared = context.Request.ContentLength;
        if (declared > MaxBodyBytes)
        {
            return (null, StatusCodes.Status400BadRequest, string.Create(CultureInfo.InvariantCulture, $"the request body is {declared} bytes; the limit is {MaxBodyBytes} bytes"));
        }

        // Kestrel enforces the same limit (set in DigitServerApp); this makes it hold on any server.
        IHttpMaxRequestBodySizeFeature? limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (limit is { IsReadOnly: false })
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    return (null, StatusCodes.Status400BadRequest, tooLarge);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, StatusCodes.Status400BadRequest, tooLarge);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own verdicts on the framing or the pace of the body (a malformed chunk, a body that stops short
            // of its Content-Length, one that arrives slower than the minimum data rate): its status, our JSON.
            return (null, e.StatusCode, $"the request body could not be read: {e.Message}");
        }

        return (buffer.ToArray(), StatusCodes.Status200OK, null);
    }
}

using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace NeuralNet.Samples.DigitServer;

/// <summary>
/// <c>POST /api/predict</c>: reads at most <see cref="MaxBodyBytes"/> bytes, parses <c>{"pixels":[784 numbers]}</c> and
/// answers <c>{"digit":d,"probabilities":[10 numbers]}</c>, or 400 with <c>{"error":"..."}</c> for any bad request.
/// The body is read by hand (not bound by the framework) so every mistake gets a message of our own.
/// </summary>
internal static class PredictEndpoint
{
    /// <summary>The largest request body accepted: 64 KiB (784 pixels with 4 decimals take about 5 KiB).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Handles one request.</summary>
    /// <param name="context">The request.</param>
    /// <param name="classifier">The shared model.</param>
    /// <returns>200 with a <see cref="Prediction"/>, or 400 with an <see cref="ErrorResponse"/>.</returns>
    public static async Task<IResult> HandleAsync(HttpContext context, DigitClassifier classifier)
    {
        (byte[]? body, string? error) = await ReadBodyAsync(context, context.RequestAborted);
        if (body is null)
        {
            // The rest of the body is not read: tell the client this connection ends here, so it does not send its
            // next request on a connection that the server closes.
            context.Response.Headers.Connection = "close";
            return BadRequest(error!);
        }

        if (!PixelRequest.TryParse(body, out float[]? pixels, out error))
        {
            return BadRequest(error);
        }

        return Results.Ok(classifier.Predict(pixels));
    }

    private static IResult BadRequest(string error) => Results.Json(new ErrorResponse(error), statusCode: StatusCodes.Status400BadRequest);

    /// <summary>Reads the whole body, or stops as soon as it is larger than <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<(byte[]? Body, string? Error)> ReadBodyAsync(HttpContext context, CancellationToken cancellationToken)
    {
        string tooLarge = string.Create(CultureInfo.InvariantCulture, $"the request body is larger than the limit of {MaxBodyBytes} bytes");
        long? declared = context.Request.ContentLength;
        if (declared > MaxBodyBytes)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"the request body is {declared} bytes; the limit is {MaxBodyBytes} bytes"));
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
                    return (null, tooLarge);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, tooLarge);
        }

        return (buffer.ToArray(), null);
    }
}

using PuppeteerSharp;
using Xunit;

namespace NeuralNet.Samples.DigitServer.Tests;

/// <summary>
/// One headless Chromium for the browser tests: the machine's own (<see cref="Chromium.Require"/>, installed by
/// .ci/install-browser.sh when missing), started by PuppeteerSharp with no browser download. As root, Chromium's
/// sandbox cannot start, hence <c>--no-sandbox</c>.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    /// <summary>The running browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium.Require(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
            await Browser.DisposeAsync();
        }
    }
}

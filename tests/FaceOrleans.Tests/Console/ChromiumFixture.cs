using OpenQA.Selenium.Chrome;

namespace FaceOrleans.Tests.Console;

/// <summary>
/// Debian's headless chromium driven through its chromedriver (apt packages <c>chromium</c> and
/// <c>chromium-driver</c>, which <c>scripts/setup.sh</c> installs), with a fresh empty profile and every feature that
/// would reach the internet turned off, so it behaves the same on a closed network.
/// </summary>
public sealed class ChromiumFixture : IDisposable
{
    private const string Browser = "/usr/bin/chromium";
    private const string Driver = "/usr/bin/chromedriver";

    private readonly DirectoryInfo _profile = Directory.CreateTempSubdirectory("faceorleans-chromium-");

    public ChromiumFixture()
    {
        if (!File.Exists(Browser) || !File.Exists(Driver))
        {
            throw new InvalidOperationException($"{Browser} and {Driver} are needed: run ./scripts/setup.sh (apt packages chromium and chromium-driver).");
        }

        var options = new ChromeOptions { BinaryLocation = Browser };
        options.AddArguments(
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1440,1100",
            $"--user-data-dir={_profile.FullName}");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        Chrome = new ChromeDriver(service, options, TimeSpan.FromMinutes(2));
    }

    public ChromeDriver Chrome { get; }

    public void Dispose()
    {
        Chrome.Quit();
        Chrome.Dispose();
        _profile.Delete(recursive: true);
    }
}

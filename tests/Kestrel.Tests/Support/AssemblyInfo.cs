// Kestrel runs on Linux (file modes, signals, /proc); so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Build, test, format and benchmark entry point for Actors.Mqtt.

.DESCRIPTION
    Run it through the local tool manifest so only the .NET SDK is needed:

        dotnet tool restore
        dotnet pwsh build.ps1 [build|test|format|publish|bench|bench-cluster|bench-fleet|bench-codec|soak] [options] [extra BenchmarkDotNet args]

    build   dotnet build Actors.sln -c Release
    publish the broker self-contained for linux-x64 (its own .NET runtime), with
            hocon/, a systemd unit and INSTALL.md (packaging/), as
            artifacts/actors-mqtt-<version>-linux-x64.tar.gz (docs/operations.md)
    test    installs the Debian and npm packages the tests need, checks formatting
            (dotnet format --verify-no-changes), publishes the archive (its test
            extracts and starts it; path in ACTORS_MQTT_ARCHIVE), runs dotnet test -c Release
            with TRX results in artifacts/test-results, and prints one line
            "tests: N passed, N failed, N skipped" (CI reads it). Exits non-zero
            if formatting is off, dotnet test fails, any test fails, or no test ran.
    format  dotnet format Actors.sln (fixes what `test` complains about)
    bench   the broker against Mosquitto: builds our broker and the bench tool
            (src/Actors.Mqtt.Bench) in Release, installs Debian's mosquitto if
            missing, starts both brokers on free loopback ports, runs every
            scenario against both (alternating which goes first) -Repeats
            times, brokers restarted for each repeat, and rewrites the results
            section of docs/benchmarks.md with medians and spreads. -Quick: one
            repeat at a tenth of the counts. -Scale multiplies the tool's counts.
            -Note 'text' adds a sentence to the results (e.g. a busy machine).
    bench-cluster
            our three-node cluster against our single node (no Mosquitto: it
            has no cluster): builds the broker and the bench tool in Release,
            installs Debian's postgresql if missing, starts a throwaway
            PostgreSQL on a free loopback port, then (a) one node with
            store=postgresql and (b) three nodes on it (seed nodes, cluster
            hostname 127.0.0.1, split-brain-resolver stable-after 5s), waits for
            /ready on each, runs fan-in QoS 1, persistent QoS 1 and
            point-to-point against both with the same counts (on three nodes
            publishers go to one node and subscribers to the next; latency also
            with every client on one node), then cluster-failover (kill -9 of
            one node under a QoS 1 stream) on the cluster; stops everything,
            also on failure, and rewrites the Cluster section of
            docs/benchmarks.md. -Repeats defaults to 1 here; -Quick, -Scale and
            -Note as for bench.
    bench-fleet
            a fleet of persistent sessions (issue 22), our broker then Mosquitto
            (persistence true): builds both in Release as bench does, and for
            each broker: starts it, runs the tool's persistent-fleet scenario
            with --fleet-phase create (5,000 x -Scale devices: sessions
            created/s, RSS per offline session, one QoS 1 message queued for
            each), stops it with SIGTERM, starts it again on the same store and
            port (seconds from the process start until the port accepts), runs
            --fleet-phase reconnect (every device back at once: connections/s,
            every queued message delivered), stops it; rewrites the Persistent
            fleet section of docs/benchmarks.md. -Quick, -Scale and -Note as for
            bench (no repeats). -Reconnect N brings back only the first N
            devices, for a fleet larger than the sockets a process may open
            (e.g. -Scale 20 -Reconnect 18000: 100,000 sessions).
    bench-codec
            runs the protocol codec benchmarks (BenchmarkDotNet); extra
            arguments are passed through, e.g. `dotnet pwsh build.ps1 bench-codec --job short`.
    soak    the repeated kill -9 test (RepeatedKillTests, docs/robustness.md) with
            longer settings: -Minutes of publishing, -Rate messages/s per
            publisher, -KillsPerMinute, -Seed (random if not given). Builds the
            integration tests in Release, runs the test -Runs times with seeds
            Seed, Seed+1, ... (settings passed as ACTORS_MQTT_SOAK_* environment
            variables), prints one summary line per run (seed, sent,
            acknowledged, received per subscriber, missing, duplicated) and
            stops at the first failing run. Logs in artifacts/soak/<date>/.
#>
param(
    # The only positional parameter: the others are named, so a stray word never lands in -Repeats.
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'format', 'publish', 'bench', 'bench-cluster', 'bench-fleet', 'bench-codec', 'soak')]
    [string]$Target = 'build',

    # bench: how many times every scenario runs against each broker (the median is reported); bench-cluster: 1 if not given.
    [ValidateRange(1, 20)]
    [int]$Repeats = 3,

    # bench: multiplies every message and connection count of the bench tool (bench-fleet: up to 20, 100,000 devices).
    [ValidateRange(0.001, 20.0)]
    [double]$Scale = 1.0,

    # bench-fleet: how many devices the reconnect phase brings back (the first ones); 0 = all.
    [ValidateRange(0, 1000000)]
    [int]$Reconnect = 0,

    # bench: one repeat at a tenth of the counts, to check the pipeline end to end.
    [switch]$Quick,

    # bench: a sentence written under the run's header in docs/benchmarks.md (what else ran on the machine, ...).
    [string]$Note = '',

    # soak: minutes of publishing per run (kills land in them).
    [ValidateRange(0.1, 1440.0)]
    [double]$Minutes = 5.0,

    # soak: the seed of the first run (kill times, absences); run k uses Seed + k - 1. Random if not given.
    [ValidateRange(0, 2147483647)]
    [int]$Seed,

    # soak: how many runs, stopping at the first failure.
    [ValidateRange(1, 1000)]
    [int]$Runs = 1,

    # soak: messages per second of each of the six publishers (the issue's load: 100).
    [ValidateRange(1, 1000)]
    [int]$Rate = 100,

    # soak: kills of the broker per minute of publishing (the issue's: 5).
    [ValidateRange(0.1, 12.0)]
    [double]$KillsPerMinute = 5.0,

    # Everything after the target goes to BenchmarkDotNet (bench-codec only).
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]]$BenchArgs = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# Read here: inside a function $PSBoundParameters is that function's.
$SeedGiven = $PSBoundParameters.ContainsKey('Seed')
$RepeatsGiven = $PSBoundParameters.ContainsKey('Repeats')

# Debian packages the test run needs: mosquitto_pub/mosquitto_sub and mosquitto_passwd (and the
# mosquitto broker, to check our password files) for the integration tests;
# PostgreSQL, whose server the durability tests start themselves (a temp cluster on a free
# loopback port, never the system service); headless Chromium (MQTT.js over WebSocket, the status
# page); Prometheus and promtool (the monitoring tests start their own server, never the system service);
# HAProxy, in front of the cluster tests' broker processes (each test starts its own, never the system service).
$TestDebianPackages = @('mosquitto-clients', 'mosquitto', 'postgresql', 'chromium', 'prometheus', 'haproxy')

# npm projects whose packages the tests serve (MQTT.js for the browser tests); `npm ci`
# installs exactly what their package-lock.json says.
$TestNpmProjects = @('tests/Actors.Mqtt.Integration.Tests/Browser')

$Solution = 'Actors.sln'
$TestResultsDir = Join-Path $PSScriptRoot 'artifacts/test-results'
$BenchProject = 'tests/Actors.Mqtt.Protocol.Benchmarks'
$ServerProject = 'src/Actors.Mqtt.Server'
$BenchToolProject = 'src/Actors.Mqtt.Bench'
$BenchDoc = Join-Path $PSScriptRoot 'docs/benchmarks.md'
$IntegrationTestProject = 'tests/Actors.Mqtt.Integration.Tests'
$SoakTestFilter = 'FullyQualifiedName~Actors.Mqtt.Integration.Tests.Durability.Soak.RepeatedKillTests'
# The scenarios of the bench tool, in the order it runs them (ScenarioCatalog.cs).
$BenchScenarios = @('connection-storm', 'fan-in-qos0', 'fan-in-qos0-mqttnet', 'fan-in-qos1', 'fan-out-qos0', 'fan-out-qos0-mqttnet', 'point-to-point', 'point-to-point-qos1', 'persistent-qos1', 'persistent-ack-latency', 'slow-subscriber', 'topic-spread', 'fleet')
# Paced at 1,000 msg/s for 60 s: it warms nothing the other scenarios do not, so the warm-up pass leaves it out.
$BenchWarmupSkips = @('connection-storm', 'fleet')
# bench-cluster: the scenarios run against one node and against three with the same counts (ScenarioCatalog.cs).
$ClusterBenchScenarios = @('fan-in-qos1', 'persistent-qos1', 'point-to-point')
# bench-cluster: what operators get by default is 20 s (reference.conf); the report says how much this shortens failover.
$ClusterBenchStableAfter = '5s'
# Both brokers queue this many QoS 1 messages per offline session, enough for the persistent scenario at -Scale 10,
# with no byte limit (Mosquitto has none by default).
$BenchMaxQueued = 1000000
# bench-fleet: our broker may wake every journaled session before it listens, and write each one at shutdown; both take
# longer than bench's 90 s / 30 s at tens of thousands of sessions.
$FleetStartTimeoutSeconds = 600
$FleetStopTimeoutSeconds = 300
$FleetTimeLimitSeconds = 900

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

function Write-Step([string]$Message) {
    Write-Host "==> $Message"
}

function Fail([string]$Message, [int]$Code = 1) {
    [Console]::Error.WriteLine("build.ps1: $Message")
    exit $Code
}

# Runs a native command with its arguments passed verbatim and returns its exit code
# (also left in $LASTEXITCODE). Not `& cmd @args`: PowerShell on Unix expands
# wildcards such as BenchmarkDotNet's `--filter '*'` against the current folder even
# when they come from a variable.
function Invoke-NativeCommand([string]$Command, [string[]]$Arguments) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new($Command)
    foreach ($argument in $Arguments) { $psi.ArgumentList.Add($argument) }
    $psi.UseShellExecute = $false
    $psi.WorkingDirectory = (Get-Location).ProviderPath
    $process = [System.Diagnostics.Process]::Start($psi)
    $process.WaitForExit()
    $global:LASTEXITCODE = $process.ExitCode
    return $process.ExitCode
}

# Runs a native command and stops the script if it exits non-zero.
function Invoke-Native([string]$Command, [string[]]$Arguments, [string]$OnFailure) {
    $code = Invoke-NativeCommand $Command $Arguments
    if ($code -ne 0) {
        $what = if ($OnFailure) { $OnFailure } else { "'$Command $($Arguments -join ' ')' failed" }
        Fail "$what (exit code $code)" $code
    }
}

function Test-DebianPackageInstalled([string]$Name) {
    $status = & dpkg-query -W -f='${Status}' $Name 2>$null
    # dpkg-query exits 1 for a package it has never heard of; that just means "missing".
    $global:LASTEXITCODE = 0
    return ([string]$status) -match '\sinstalled$'
}

function Install-DebianPackages([string[]]$Names) {
    if (-not $Names -or $Names.Count -eq 0) {
        Write-Step 'No Debian packages needed by the tests'
        return
    }
    if (-not (Get-Command apt-get -ErrorAction SilentlyContinue) -or
        -not (Get-Command dpkg-query -ErrorAction SilentlyContinue)) {
        Write-Warning "Not a Debian system (no apt-get/dpkg-query): skipping installation of $($Names -join ', '). Install them yourself or tests that need them will fail."
        return
    }

    $missing = @($Names | Where-Object { -not (Test-DebianPackageInstalled $_) })
    if ($missing.Count -eq 0) {
        Write-Step "Debian packages already installed: $($Names -join ', ')"
        return
    }

    $sudo = @()
    if ((& id -u) -ne '0') {
        if (-not (Get-Command sudo -ErrorAction SilentlyContinue)) {
            Fail "Debian packages missing ($($missing -join ', ')) and not running as root without sudo available"
        }
        $sudo = @('sudo')
    }
    Write-Step "Installing Debian packages: $($missing -join ', ')"
    $aptEnv = @('env', 'DEBIAN_FRONTEND=noninteractive')
    $prefix = @($sudo + $aptEnv)
    Invoke-Native $prefix[0] (@($prefix | Select-Object -Skip 1) + @('apt-get', 'update')) 'apt-get update failed'
    Invoke-Native $prefix[0] (@($prefix | Select-Object -Skip 1) + @('apt-get', 'install', '-y', '--no-install-recommends') + $missing) "apt-get install of $($missing -join ', ') failed"
}

function Install-NpmPackages([string[]]$Projects) {
    if (-not (Get-Command npm -ErrorAction SilentlyContinue)) {
        Fail "npm is needed to install the test packages of $($Projects -join ', ') (Debian: apt-get install npm)"
    }
    foreach ($project in $Projects) {
        Write-Step "npm ci in $project"
        Push-Location (Join-Path $PSScriptRoot $project)
        try {
            Invoke-Native npm @('ci', '--no-audit', '--no-fund') "npm ci in $project failed"
        }
        finally {
            Pop-Location
        }
    }
}

function Invoke-Build {
    Write-Step "dotnet build $Solution -c Release"
    Invoke-Native dotnet @('build', $Solution, '-c', 'Release') 'build failed'
}

function Invoke-Publish {
    [xml]$props = Get-Content -LiteralPath (Join-Path $PSScriptRoot 'Directory.Build.props') -Raw
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.Version } | Where-Object { $_ })[0]
    $name = "actors-mqtt-$version-linux-x64"
    $artifacts = Join-Path $PSScriptRoot 'artifacts'
    $staging = Join-Path $artifacts "publish/$name"
    $archive = Join-Path $artifacts "$name.tar.gz"
    if (Test-Path $staging) {
        Remove-Item -LiteralPath $staging -Recurse -Force
    }

    Write-Step "dotnet publish $ServerProject -c Release -r linux-x64 --self-contained -> $staging"
    Invoke-Native dotnet @('publish', $ServerProject, '-c', 'Release', '-r', 'linux-x64', '--self-contained', '-o', $staging) 'dotnet publish failed'
    # The build ships hocon/broker.conf beside the executable; the other examples go with it.
    Copy-Item -Path (Join-Path $PSScriptRoot 'hocon/*.conf') -Destination (Join-Path $staging 'hocon') -Force
    Copy-Item -Path (Join-Path $PSScriptRoot 'packaging/actors-mqtt.service'), (Join-Path $PSScriptRoot 'packaging/INSTALL.md') -Destination $staging

    Write-Step "tar -czf $archive"
    Invoke-Native tar @('-czf', $archive, '-C', (Split-Path $staging -Parent), $name) 'tar failed'
    Write-Host "published $archive"
    return $archive
}

function Invoke-Format {
    Write-Step "dotnet format $Solution"
    Invoke-Native dotnet @('format', $Solution) 'dotnet format failed'
}

function Get-TrxCounters([string]$Directory) {
    $files = @(Get-ChildItem -Path $Directory -Filter '*.trx' -Recurse -File -ErrorAction SilentlyContinue)
    $sum = [ordered]@{ Files = $files.Count; Total = 0; Passed = 0; Failed = 0; Skipped = 0 }
    foreach ($file in $files) {
        [xml]$trx = Get-Content -LiteralPath $file.FullName -Raw
        $ns = New-Object System.Xml.XmlNamespaceManager($trx.NameTable)
        $ns.AddNamespace('t', $trx.DocumentElement.NamespaceURI)
        $counters = $trx.SelectSingleNode('/t:TestRun/t:ResultSummary/t:Counters', $ns)
        if ($null -eq $counters) {
            Fail "$($file.FullName) has no ResultSummary/Counters element"
        }
        $get = { param($name) $v = $counters.GetAttribute($name); if ($v) { [int]$v } else { 0 } }
        $sum.Total += & $get 'total'
        $sum.Passed += & $get 'passed'
        # error, timeout and aborted are failures too, just reported differently.
        $sum.Failed += (& $get 'failed') + (& $get 'error') + (& $get 'timeout') + (& $get 'aborted')
        # Skipped tests are not in notExecuted (0 with xunit under VSTest); they are
        # the ones counted in total but not in executed.
        $sum.Skipped += [Math]::Max((& $get 'total') - (& $get 'executed'), (& $get 'notExecuted'))
    }
    return $sum
}

function Invoke-Test {
    Install-DebianPackages $TestDebianPackages
    Install-NpmPackages $TestNpmProjects

    Write-Step "dotnet format $Solution --verify-no-changes"
    $formatExitCode = Invoke-NativeCommand dotnet @('format', $Solution, '--verify-no-changes')
    if ($formatExitCode -ne 0) {
        Fail "formatting or code style is off (dotnet format exit code $formatExitCode, details above): run 'dotnet pwsh build.ps1 format' to fix what it can fix automatically, then commit the result" $formatExitCode
    }

    # Once per run, before the tests: PublishedArchiveTests extracts and starts it, and fails if this is not set.
    $env:ACTORS_MQTT_ARCHIVE = Invoke-Publish

    if (Test-Path $TestResultsDir) {
        Remove-Item -LiteralPath $TestResultsDir -Recurse -Force
    }
    New-Item -ItemType Directory -Path $TestResultsDir | Out-Null

    Write-Step "dotnet test $Solution -c Release (TRX results in $TestResultsDir)"
    # No LogFileName: with several test projects each would overwrite the same file;
    # the TRX logger's default name is unique (timestamp, plus a counter if taken).
    $testExitCode = Invoke-NativeCommand dotnet @(
        'test', $Solution, '-c', 'Release', '--verbosity', 'minimal',
        '--results-directory', $TestResultsDir, '--logger', 'trx')

    $c = Get-TrxCounters $TestResultsDir
    if ($c.Files -eq 0) {
        Fail "dotnet test wrote no TRX result file (exit code $testExitCode): the build or the test host failed, see the output above"
    }
    $executed = $c.Passed + $c.Failed
    Write-Host "test result files: $($c.Files) in $TestResultsDir"

    $problem = $null
    if ($c.Failed -gt 0) {
        $problem = "$($c.Failed) test(s) failed, see the output above"
    }
    elseif ($testExitCode -ne 0) {
        $problem = "dotnet test failed (exit code $testExitCode)"
    }
    elseif ($executed -eq 0) {
        $problem = 'no test was executed: the test projects contain no test, or every test was skipped'
    }
    if ($problem) {
        [Console]::Error.WriteLine("build.ps1: $problem")
        [Console]::Error.Flush()
    }
    # The summary stays the last line of the run: CI reads it.
    Write-Host "tests: $($c.Passed) passed, $($c.Failed) failed, $($c.Skipped) skipped"
    if ($problem) {
        exit 1
    }
}

function Invoke-BenchCodec {
    $benchArgs = @($BenchArgs | Where-Object { $_ })
    $hasFilter = @($benchArgs | Where-Object { $_ -in @('--filter', '-f') }).Count -gt 0
    $defaults = if ($hasFilter) { @('--exporters', 'github') } else { @('--filter', '*', '--exporters', 'github') }
    $all = @('run', '-c', 'Release', '--project', $BenchProject, '--') + $defaults + $benchArgs
    Write-Step "dotnet $($all -join ' ')"
    $started = Get-Date
    Invoke-Native dotnet $all 'benchmarks failed'

    $results = Join-Path $PSScriptRoot 'BenchmarkDotNet.Artifacts/results'
    Write-Host ''
    # Only this run's reports; earlier runs' files stay in the folder.
    $reports = @(Get-ChildItem -Path $results -Filter '*.md' -File -ErrorAction SilentlyContinue |
        Where-Object { $_.LastWriteTime -ge $started })
    if ($reports.Count -eq 0) {
        Write-Host "Benchmark results: none written by this run (no benchmark matched?); BenchmarkDotNet writes them to $results"
        return
    }
    Write-Host "Benchmark results of this run ($results):"
    $reports | ForEach-Object { Write-Host "  $($_.FullName)" }
}

function Get-FreeLoopbackPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { return ([System.Net.IPEndPoint]$listener.LocalEndpoint).Port }
    finally { $listener.Stop() }
}

# Starts a long-running native process with its output in a log file. `exec` keeps the process id the broker's
# own (the bench tool reads its CPU and memory from /proc/PID).
function Start-LoggedProcess([string]$CommandLine, [string]$LogFile) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $psi.ArgumentList.Add('-c')
    $psi.ArgumentList.Add("exec $CommandLine > '$LogFile' 2>&1")
    $psi.UseShellExecute = $false
    $psi.WorkingDirectory = (Get-Location).ProviderPath
    return [System.Diagnostics.Process]::Start($psi)
}

function Wait-PortOpen([int]$Port, [System.Diagnostics.Process]$Process, [string]$Name, [string]$LogFile, [int]$TimeoutSeconds = 90) {
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    while ((Get-Date) -lt $deadline) {
        if ($Process.HasExited) {
            Fail "$Name exited with code $($Process.ExitCode) before listening on port $Port; its log ($LogFile):`n$(Get-Content -Raw -LiteralPath $LogFile -ErrorAction SilentlyContinue)"
        }
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.Connect([System.Net.IPAddress]::Loopback, $Port)
            return
        }
        catch [System.Net.Sockets.SocketException] {
            # Fine-grained: bench-fleet reports the seconds from a start until the port accepts (Mosquitto: tens of ms).
            Start-Sleep -Milliseconds 10
        }
        finally {
            $client.Dispose()
        }
    }
    Fail "$Name did not listen on port $Port within $TimeoutSeconds s (log: $LogFile)"
}

function Stop-Broker($Broker, [int]$TimeoutSeconds = 30) {
    if ($null -eq $Broker -or $Broker.Process.HasExited) { return }
    # SIGTERM: both brokers shut down gracefully on it.
    & kill -TERM $Broker.Process.Id 2>$null
    $global:LASTEXITCODE = 0
    if (-not $Broker.Process.WaitForExit($TimeoutSeconds * 1000)) {
        $Broker.Process.Kill($true)
        $Broker.Process.WaitForExit()
    }
}

# -Port (a free one if 0) and the store (from -Run) stay the same when bench-fleet starts the broker again; -LogTag keeps
# the second start's log apart. ListeningSeconds: from the process start until the port accepted.
function Start-OurBroker([string]$WorkDir, [int]$Run, [int]$Port = 0, [string]$LogTag = '', [int]$StartTimeoutSeconds = 90) {
    if ($Port -eq 0) { $Port = Get-FreeLoopbackPort }
    $dll = Join-Path $PSScriptRoot "$ServerProject/bin/Release/net10.0/actors-mqtt.dll"
    $log = Join-Path $WorkDir "actors-mqtt-$Run$LogTag.log"
    $command = "dotnet '$dll' --set actors-mqtt.listeners.tcp.port=$Port --set actors-mqtt.listeners.tcp.host=127.0.0.1 " +
        "--set actors-mqtt.limits.max-queued-messages=$BenchMaxQueued --set actors-mqtt.limits.max-queued-bytes=0 " +
        "--set actors-mqtt.log.level=warning " +
        "--set actors-mqtt.persistence.sqlite.path=$(Join-Path $WorkDir "actors-mqtt-$Run.db")"
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $process = Start-LoggedProcess $command $log
    Wait-PortOpen $Port $process 'actors-mqtt' $log $StartTimeoutSeconds
    return [pscustomobject]@{ Name = 'actors-mqtt'; Port = $Port; Process = $process; Log = $log; ListeningSeconds = $clock.Elapsed.TotalSeconds }
}

# -Port, -LogTag, -StartTimeoutSeconds and ListeningSeconds as for Start-OurBroker; the persistence folder (from -Run)
# is kept when it exists.
function Start-Mosquitto([string]$WorkDir, [int]$Run, [int]$Port = 0, [string]$LogTag = '', [int]$StartTimeoutSeconds = 90) {
    if ($Port -eq 0) { $Port = Get-FreeLoopbackPort }
    $dataDir = Join-Path $WorkDir "mosquitto-data-$Run"
    New-Item -ItemType Directory -Path $dataDir -Force | Out-Null
    # Started as root, mosquitto drops to the user mosquitto, which must own its persistence folder.
    if ((& id -u) -eq '0' -and (& id -u mosquitto 2>$null)) {
        Invoke-Native chown @('mosquitto:', $dataDir) "chown of $dataDir failed"
        Invoke-Native chmod @('755', $WorkDir) "chmod of $WorkDir failed"
    }
    $global:LASTEXITCODE = 0
    $conf = Join-Path $WorkDir "mosquitto-$Run.conf"
    @(
        "listener $Port 127.0.0.1",
        'allow_anonymous true',
        'persistence true',
        "persistence_location $dataDir/",
        "max_queued_messages $BenchMaxQueued",
        '# the same in-flight window towards a client as actors-mqtt (limits.max-inflight-messages)',
        'max_inflight_messages 100'
    ) | Set-Content -LiteralPath $conf
    $log = Join-Path $WorkDir "mosquitto-$Run$LogTag.log"
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $process = Start-LoggedProcess "mosquitto -c '$conf'" $log
    Wait-PortOpen $Port $process 'mosquitto' $log $StartTimeoutSeconds
    return [pscustomobject]@{ Name = 'mosquitto'; Port = $Port; Process = $process; Log = $log; ListeningSeconds = $clock.Elapsed.TotalSeconds }
}

function Get-Median([double[]]$Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    if ($n -eq 0) { return $null }
    if ($n % 2 -eq 1) { return $sorted[($n - 1) / 2] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

# "median (min-max)" of one metric over the runs of one scenario against one broker, and the median alone.
function Get-Statistic($Results, [scriptblock]$Metric, [string]$Format) {
    $values = @($Results | ForEach-Object { & $Metric $_ } | Where-Object { $null -ne $_ } | ForEach-Object { [double]$_ })
    if ($values.Count -eq 0) { return [pscustomobject]@{ Median = $null; Text = 'n/a' } }
    $median = Get-Median $values
    $inv = [System.Globalization.CultureInfo]::InvariantCulture
    $text = $median.ToString($Format, $inv)
    if ($values.Count -gt 1) {
        $min = ($values | Measure-Object -Minimum).Minimum
        $max = ($values | Measure-Object -Maximum).Maximum
        $text += " ($($min.ToString($Format, $inv))-$($max.ToString($Format, $inv)))"
    }
    return [pscustomobject]@{ Median = $median; Text = $text }
}

function Get-BenchRows($AllResults) {
    $perSecond = { param($r) $r.messagesPerSecond }
    $cpu = { param($r) $r.brokerCpuMicrosPerMessage }
    $delivered = { param($r) if ($r.expected -gt 0) { 100.0 * $r.delivered / $r.expected } else { $null } }
    $metrics = [ordered]@{
        'connection-storm' = @(
            @('connections/s', { param($r) $r.connectionsPerSecond }, 'N0', 'higher'),
            @('broker CPU us/connection', $cpu, 'N0', 'lower'),
            @('broker RSS KiB/connection', { param($r) if ($null -ne $r.rssPerConnectionBytes) { $r.rssPerConnectionBytes / 1024.0 } }, 'N1', 'lower'))
        'fan-in-qos0' = @(@('delivered msg/s', $perSecond, 'N0', 'higher'), @('delivered %', $delivered, 'N1', 'higher'), @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'fan-in-qos0-mqttnet' = @(@('delivered msg/s', $perSecond, 'N0', 'higher'), @('delivered %', $delivered, 'N1', 'higher'), @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'fan-in-qos1' = @(@('delivered msg/s', $perSecond, 'N0', 'higher'), @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'fan-out-qos0' = @(@('delivered msg/s', $perSecond, 'N0', 'higher'), @('delivered %', $delivered, 'N1', 'higher'), @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'fan-out-qos0-mqttnet' = @(@('delivered msg/s', $perSecond, 'N0', 'higher'), @('delivered %', $delivered, 'N1', 'higher'), @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'point-to-point' = @(
            @('latency p50 us', { param($r) $r.latencyP50Micros }, 'N0', 'lower'),
            @('latency p99 us', { param($r) $r.latencyP99Micros }, 'N0', 'lower'),
            @('latency max us', { param($r) $r.latencyMaxMicros }, 'N0', 'lower'),
            @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'point-to-point-qos1' = @(
            @('latency p50 us', { param($r) $r.latencyP50Micros }, 'N0', 'lower'),
            @('latency p99 us', { param($r) $r.latencyP99Micros }, 'N0', 'lower'),
            @('latency max us', { param($r) $r.latencyMaxMicros }, 'N0', 'lower'),
            @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'persistent-qos1' = @(
            @('acknowledged publish msg/s (queueing)', { param($r) $q = @($r.notes | Where-Object { $_ -like 'queued at * msg/s' }); if ($q.Count -gt 0) { [double]($q[0] -split ' ')[2] } }, 'N0', 'higher'),
            @('drain msg/s', $perSecond, 'N0', 'higher'),
            @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'persistent-ack-latency' = @(
            @('PUBACK latency p50 us', { param($r) $r.latencyP50Micros }, 'N0', 'lower'),
            @('PUBACK latency p99 us', { param($r) $r.latencyP99Micros }, 'N0', 'lower'),
            @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'slow-subscriber' = @(
            @('others delivered msg/s', $perSecond, 'N0', 'higher'),
            @('delivered % (others)', $delivered, 'N1', 'higher'),
            @('broker RSS growth MiB (peak - start)', { param($r) if ($null -ne $r.rssPeakBytes -and $null -ne $r.rssStartBytes) { ($r.rssPeakBytes - $r.rssStartBytes) / 1MB } }, 'N1', 'lower'),
            @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'topic-spread' = @(
            @('broker RSS B/distinct topic', { param($r) $r.rssPerTopicBytes }, 'N1', 'lower'),
            @('delivered msg/s', $perSecond, 'N0', 'higher'),
            @('delivered %', $delivered, 'N1', 'higher'),
            @('broker CPU us/msg', $cpu, 'N1', 'lower'))
        'fleet' = @(
            @('broker CPU % of one core', { param($r) if ($null -ne $r.brokerCores) { 100.0 * $r.brokerCores } }, 'N1', 'lower'),
            @('broker CPU us/msg', $cpu, 'N1', 'lower'),
            @('broker RSS peak MiB', { param($r) if ($null -ne $r.rssPeakBytes) { $r.rssPeakBytes / 1MB } }, 'N0', 'lower'),
            @('PUBACK latency p50 us', { param($r) $r.latencyP50Micros }, 'N0', 'lower'),
            @('PUBACK latency p99 us', { param($r) $r.latencyP99Micros }, 'N0', 'lower'),
            @('delivered %', $delivered, 'N1', 'higher'))
    }
    $rows = @()
    foreach ($scenario in $metrics.Keys) {
        $ours = @($AllResults | Where-Object { $_.scenario -eq $scenario -and $_.broker -eq 'actors-mqtt' })
        $theirs = @($AllResults | Where-Object { $_.scenario -eq $scenario -and $_.broker -eq 'mosquitto' })
        foreach ($metric in $metrics[$scenario]) {
            $a = Get-Statistic $ours $metric[1] $metric[2]
            $b = Get-Statistic $theirs $metric[1] $metric[2]
            $ratio = if ($null -ne $a.Median -and $null -ne $b.Median -and $b.Median -ne 0) {
                ($a.Median / $b.Median).ToString('N2', [System.Globalization.CultureInfo]::InvariantCulture)
            }
            else { 'n/a' }
            $rows += "| $scenario | $($metric[0]) ($($metric[3]) is better) | $($a.Text) | $($b.Text) | $ratio |"
        }
        $bottleneck = {
            param($runs)
            (@($runs | Group-Object bottleneck | Sort-Object Count -Descending | ForEach-Object { "$($_.Name) $($_.Count)/$($runs.Count)" }) -join ', ')
        }
        $rows += "| $scenario | bottleneck (runs) | $(& $bottleneck $ours) | $(& $bottleneck $theirs) | |"
    }
    return $rows
}

# Replaces what lies between the '<!-- Marker:start -->' and '<!-- Marker:end -->' lines of docs/benchmarks.md.
function Update-BenchDoc([string]$Section, [string]$Marker = 'broker-bench') {
    $start = "<!-- $($Marker):start -->"
    $end = "<!-- $($Marker):end -->"
    $doc = Get-Content -Raw -LiteralPath $BenchDoc
    $from = $doc.IndexOf($start, [StringComparison]::Ordinal)
    $to = $doc.IndexOf($end, [StringComparison]::Ordinal)
    if ($from -lt 0 -or $to -lt $from) {
        Fail "$BenchDoc has no '$start' ... '$end' markers around the results section"
    }
    $updated = $doc.Substring(0, $from + $start.Length) + "`n" + $Section.TrimEnd() + "`n" + $doc.Substring($to)
    [System.IO.File]::WriteAllText($BenchDoc, $updated)
}

# What both bench targets do first: the repeats and scale a run uses (-Quick: one repeat at a tenth of the counts),
# the Debian packages it needs, a Release build of the broker and the bench tool, and a fresh folder for its results.
function Initialize-BenchRun([string]$Name, [string]$Folder, [string[]]$Packages, [int]$RunRepeats) {
    # PowerShell names are case-insensitive: a local $scale would overwrite the parameter $Scale.
    $runScale = $Scale
    if ($Quick) {
        $RunRepeats = 1
        $runScale = $Scale / 10
    }
    $scaleText = $runScale.ToString('0.###', [System.Globalization.CultureInfo]::InvariantCulture)

    Install-DebianPackages $Packages
    foreach ($project in @($ServerProject, $BenchToolProject)) {
        Write-Step "dotnet build $project -c Release"
        Invoke-Native dotnet @('build', $project, '-c', 'Release') "build of $project failed"
    }

    $stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMdd-HHmmss')
    $workDir = Join-Path $PSScriptRoot "artifacts/$Folder/$stamp"
    New-Item -ItemType Directory -Path $workDir -Force | Out-Null
    Write-Step "${Name}: $RunRepeats repeat(s), scale $scaleText, results and broker logs in $workDir"

    # The build leaves the page cache full of dirty files, written back while the first repeat runs; two first repeats
    # showed a PUBACK p99 of 94 and 702 ms (6-7 ms in the others), most likely the journal's fsyncs waiting behind that
    # writeback. Flush it before measuring.
    Invoke-Native sync @() 'sync failed'
    return @{
        Repeats = $RunRepeats
        Scale = $runScale
        ScaleText = $scaleText
        Dll = Join-Path $PSScriptRoot "$BenchToolProject/bin/Release/net10.0/actors-mqtt-bench.dll"
        WorkDir = $workDir
    }
}

function Invoke-BrokerBench {
    $setup = Initialize-BenchRun 'Broker bench' 'bench' @('mosquitto') $Repeats
    $runRepeats = $setup.Repeats
    $scaleText = $setup.ScaleText
    $benchDll = $setup.Dll
    $workDir = $setup.WorkDir
    $inv = [System.Globalization.CultureInfo]::InvariantCulture

    $started = Get-Date
    $loadBefore = (Get-Content /proc/loadavg).Split(' ')[0]
    $failures = @()
    for ($run = 1; $run -le $runRepeats; $run++) {
        # Fresh brokers each repeat: the connection storm, first, then measures memory from a broker just started.
        $ours = $null
        $mosquitto = $null
        try {
            $ours = Start-OurBroker $workDir $run
            $mosquitto = Start-Mosquitto $workDir $run
            $warmed = $false
            foreach ($scenario in $BenchScenarios) {
                $order = if ($run % 2 -eq 1) { @($ours, $mosquitto) } else { @($mosquitto, $ours) }
                if (-not $warmed -and $scenario -ne 'connection-storm') {
                    # A broker runs for days: measure it warm. One untimed pass of the remaining scenarios at their
                    # full counts lets the .NET JIT bring the hot paths to their optimized tier (a pass at a tenth of
                    # the counts left acknowledged persistent publishing 30-40 % below its steady rate); Mosquitto
                    # gets the same pass. The connection storm goes before it, since it measures memory from a broker
                    # just started.
                    $warmed = $true
                    foreach ($broker in $order) {
                        foreach ($warmup in @($BenchScenarios | Where-Object { $BenchWarmupSkips -notcontains $_ })) {
                            Write-Step "run $run/$runRepeats, warm-up: $warmup against $($broker.Name) (not recorded)"
                            $code = Invoke-NativeCommand dotnet @($benchDll, '--port', "$($broker.Port)", '--broker-pid', "$($broker.Process.Id)",
                                '--label', "$($broker.Name)-warmup", '--scenario', $warmup, '--scale', $scaleText, '--no-progress')
                            if ($code -eq 2) { Fail "the bench tool refused to run (exit code 2), see above" }
                        }
                    }
                }

                foreach ($broker in $order) {
                    $json = Join-Path $workDir "$($broker.Name)-$scenario-$run.json"
                    Write-Step "run $run/$runRepeats, $scenario against $($broker.Name) (port $($broker.Port), pid $($broker.Process.Id))"
                    $code = Invoke-NativeCommand dotnet @($benchDll, '--port', "$($broker.Port)", '--broker-pid', "$($broker.Process.Id)",
                        '--label', $broker.Name, '--scenario', $scenario, '--scale', $scaleText, '--json', $json)
                    if ($code -eq 2) { Fail "the bench tool refused to run (exit code 2), see above" }
                    if ($code -ne 0) { $failures += "run $run, $scenario against $($broker.Name): exit code $code (see the errors above)" }
                }
            }
        }
        finally {
            Stop-Broker $ours
            Stop-Broker $mosquitto
        }
    }
    $elapsed = (Get-Date) - $started

    $all = @(Get-ChildItem -Path $workDir -Filter '*.json' -File | ForEach-Object { (Get-Content -Raw -LiteralPath $_.FullName | ConvertFrom-Json).results })
    $dotnetVersion = (& dotnet --version)
    $runtime = (& dotnet --list-runtimes | Where-Object { $_ -like 'Microsoft.NETCore.App*' } | Select-Object -Last 1) -replace '\s*\[.*\]$', ''
    $mosquittoVersion = (& mosquitto -h 2>&1 | Select-Object -First 1)
    $global:LASTEXITCODE = 0
    $cpuModel = ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', '')
    $command = 'dotnet tool restore && dotnet pwsh build.ps1 bench' +
        $(if ($Quick) { ' -Quick' } else { '' }) +
        $(if ($Repeats -ne 3 -and -not $Quick) { " -Repeats $Repeats" } else { '' }) +
        $(if ($Scale -ne 1.0) { " -Scale $($Scale.ToString('0.###', $inv))" } else { '' }) +
        $(if ($Note) { ' -Note ''...''' } else { '' })

    $lines = @(
        '',
        "### Run of $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm', $inv)) UTC",
        '',
        '- Command, from the repository root:',
        '',
        '  ```sh',
        "  $command",
        '  ```',
        '',
        "- $runRepeats repeat(s) of every scenario against each broker at scale $scaleText, alternating which broker goes first, both brokers restarted for each repeat; $([int]$elapsed.TotalMinutes) min $($elapsed.Seconds) s in all.",
        "- Each repeat measures warm brokers: after the connection storm (which measures memory from a broker just started), one untimed pass of the other scenarios at the same counts (but ``fleet``, paced for 60 s) runs against both brokers before they are measured.",
        "- Machine: $([Environment]::ProcessorCount) cores, CPU ``$cpuModel``; .NET SDK $dotnetVersion ($runtime); $mosquittoVersion (Debian package).",
        "- Load average (1 min) of the machine before the run: $loadBefore; after: $((Get-Content /proc/loadavg).Split(' ')[0]).",
        "- Cells: median (min-max) over the repeats; ratio = actors-mqtt median / Mosquitto median. Raw JSON of every run: ``artifacts/bench/<date>/`` (not committed).",
        ''
    )
    if ($Note) {
        $lines += @("**Note:** $Note", '')
    }
    if ($failures.Count -gt 0) {
        $lines += '- **Runs that reported an error** (a missing QoS 1 message, a connection the broker closed, the time limit):'
        $lines += @($failures | ForEach-Object { "  - $_" })
        $errorTexts = @($all | Where-Object { -not $_.ok } | ForEach-Object { "$($_.broker) $($_.scenario): $($_.errors -join '; ')" } | Select-Object -Unique)
        $lines += @($errorTexts | ForEach-Object { "  - $_" })
        $lines += ''
    }
    $lines += @(
        '| scenario | metric | actors-mqtt | Mosquitto | ratio |',
        '|---|---|---:|---:|---:|'
    )
    $lines += Get-BenchRows $all
    Update-BenchDoc ($lines -join "`n")
    Write-Host ''
    Write-Host "Broker bench results written to $BenchDoc (raw results in $workDir)"
    if ($failures.Count -gt 0) {
        Write-Host "Runs with errors: $($failures.Count)"
    }
}

# bench-fleet: one broker, the fleet's two phases with a graceful restart between them; returns what the doc needs.
function Invoke-FleetPhases([string]$Name, $Setup, [int]$Devices, [int]$Back) {
    $workDir = $Setup.WorkDir
    $start = if ($Name -eq 'actors-mqtt') { 'Start-OurBroker' } else { 'Start-Mosquitto' }
    $result = [ordered]@{ Name = $Name; Create = $null; Reconnect = $null; StopSeconds = $null; StopExitCode = $null; ListeningSeconds = $null; Failures = @() }
    $broker = $null
    try {
        $broker = & $start $workDir 1 0 '' $FleetStartTimeoutSeconds
        foreach ($phase in @('create', 'reconnect')) {
            if ($phase -eq 'reconnect') {
                # Graceful (SIGTERM): Mosquitto writes its persistence file at exit. Then the same store and port again,
                # timed from the process start until the port accepts.
                Write-Step "$Name`: SIGTERM, then started again on the same store and port $($broker.Port)"
                $stopClock = [System.Diagnostics.Stopwatch]::StartNew()
                Stop-Broker $broker $FleetStopTimeoutSeconds
                $result.StopSeconds = $stopClock.Elapsed.TotalSeconds
                $result.StopExitCode = $broker.Process.ExitCode
                $broker = & $start $workDir 1 $broker.Port '-restarted' $FleetStartTimeoutSeconds
                $result.ListeningSeconds = $broker.ListeningSeconds
                Write-Step ("$Name listening {0:N2} s after its start" -f $broker.ListeningSeconds)
            }
            $json = Join-Path $workDir "$Name-$phase.json"
            $count = if ($phase -eq 'create') { $Devices } else { $Back }
            Write-Step "$Name`: persistent-fleet --fleet-phase $phase, $count devices (port $($broker.Port), pid $($broker.Process.Id))"
            $code = Invoke-NativeCommand dotnet @($Setup.Dll, '--port', "$($broker.Port)", '--broker-pid', "$($broker.Process.Id)",
                '--label', $Name, '--scenario', 'persistent-fleet', '--fleet-phase', $phase, '--fleet-id', 'fleet',
                '--scale', $Setup.ScaleText, '--time-limit', "$FleetTimeLimitSeconds", '--json', $json, '--fleet-reconnect', "$Back")
            if ($code -eq 2) { Fail "the bench tool refused to run (exit code 2), see above" }
            if ($code -ne 0) { $result.Failures += "$Name, $phase`: exit code $code" }
            if (Test-Path -LiteralPath $json) {
                $result[$(if ($phase -eq 'create') { 'Create' } else { 'Reconnect' })] = (Get-Content -Raw -LiteralPath $json | ConvertFrom-Json).results[0]
            }
        }
    }
    finally {
        Stop-Broker $broker $FleetStopTimeoutSeconds
    }
    return [pscustomobject]$result
}

function Get-FleetRows($Ours, $Theirs) {
    $inv = [System.Globalization.CultureInfo]::InvariantCulture
    $mib = { param($bytes) if ($null -ne $bytes) { $bytes / 1MB } }
    $metrics = @(
        @('create: sessions created/s (connect, subscribe, disconnect; 16 at a time)', { param($b) $b.Create.connectionsPerSecond }, 'N0', 'higher'),
        @('create: queued QoS 1 msg/s (one publisher, 64 in flight)', { param($b) $b.Create.messagesPerSecond }, 'N0', 'higher'),
        @('create: messages queued (PUBACK received) / devices', { param($b) if ($null -ne $b.Create) { "$($b.Create.delivered) / $($b.Create.expected)" } }, '', ''),
        @('create: broker RSS before, MiB', { param($b) & $mib $b.Create.rssStartBytes }, 'N0', 'lower'),
        @('create: broker RSS after (stable), MiB', { param($b) & $mib $b.Create.rssSettledBytes }, 'N0', 'lower'),
        @('create: broker RSS per offline session, KiB', { param($b) if ($null -ne $b.Create.rssPerSessionBytes) { $b.Create.rssPerSessionBytes / 1024.0 } }, 'N1', 'lower'),
        @('create: broker CPU us per device (create and queue)', { param($b) $b.Create.brokerCpuMicrosPerMessage }, 'N0', 'lower'),
        @('stop (SIGTERM) until exited, s', { param($b) $b.StopSeconds }, 'N2', 'lower'),
        @('start until listening, s', { param($b) $b.ListeningSeconds }, 'N2', 'lower'),
        @('reconnect: broker RSS after the restart, MiB', { param($b) & $mib $b.Reconnect.rssStartBytes }, 'N0', 'lower'),
        # Every session offline, none connected yet: what each costs the restarted broker beyond the empty one it was.
        @('reconnect: broker RSS per offline session after the restart, KiB', { param($b) if ($null -ne $b.Reconnect.rssStartBytes -and $null -ne $b.Create.rssStartBytes -and $b.Create.expected -gt 0) { ($b.Reconnect.rssStartBytes - $b.Create.rssStartBytes) / 1024.0 / $b.Create.expected } }, 'N2', 'lower'),
        @('reconnect: connections/s (64 at a time)', { param($b) $b.Reconnect.connectionsPerSecond }, 'N0', 'higher'),
        @('reconnect: queued messages delivered / expected (lost)', { param($b) if ($null -ne $b.Reconnect) { "$($b.Reconnect.delivered) / $($b.Reconnect.expected) ($($b.Reconnect.lost))" } }, '', ''),
        @('reconnect: broker RSS, all devices connected, MiB', { param($b) & $mib $b.Reconnect.rssEndBytes }, 'N0', 'lower'),
        @('reconnect: broker CPU us per device', { param($b) $b.Reconnect.brokerCpuMicrosPerMessage }, 'N0', 'lower'),
        @('ok (both phases)', { param($b) if ($null -ne $b.Create -and $b.Create.ok -and $null -ne $b.Reconnect -and $b.Reconnect.ok) { 'yes' } else { 'no' } }, '', '')
    )
    $rows = @()
    foreach ($metric in $metrics) {
        $a = & $metric[1] $Ours
        $b = & $metric[1] $Theirs
        if ($metric[2] -eq '') {
            $rows += "| $($metric[0]) | $a | $b | |"
            continue
        }
        $text = { param($v) if ($null -eq $v) { 'n/a' } else { ([double]$v).ToString($metric[2], $inv) } }
        $ratio = if ($null -ne $a -and $null -ne $b -and [double]$b -ne 0) { ([double]$a / [double]$b).ToString('N2', $inv) } else { 'n/a' }
        $rows += "| $($metric[0]) ($($metric[3]) is better) | $(& $text $a) | $(& $text $b) | $ratio |"
    }
    return $rows
}

function Invoke-FleetBench {
    $setup = Initialize-BenchRun 'Fleet bench' 'bench-fleet' @('mosquitto') 1
    $inv = [System.Globalization.CultureInfo]::InvariantCulture
    # As the tool's BenchSettings.Scaled: 5,000 devices at scale 1.
    $devices = [Math]::Max(1, [int][Math]::Round(5000 * $setup.Scale))
    $back = if ($Reconnect -gt 0) { [Math]::Min($Reconnect, $devices) } else { $devices }
    # In the reconnect phase the tool holds one socket per device that comes back, and each broker one per connection.
    $openFiles = [int](& sh -c 'ulimit -n')
    if ($back + 500 -gt $openFiles) {
        Fail "$back devices reconnecting need about $($back + 500) open files per process; this shell allows $openFiles (ulimit -n): use -Reconnect"
    }

    $started = Get-Date
    $loadBefore = (Get-Content /proc/loadavg).Split(' ')[0]
    $ours = Invoke-FleetPhases 'actors-mqtt' $setup $devices $back
    $theirs = Invoke-FleetPhases 'mosquitto' $setup $devices $back
    $elapsed = (Get-Date) - $started

    $dotnetVersion = (& dotnet --version)
    $runtime = (& dotnet --list-runtimes | Where-Object { $_ -like 'Microsoft.NETCore.App*' } | Select-Object -Last 1) -replace '\s*\[.*\]$', ''
    $mosquittoVersion = (& mosquitto -h 2>&1 | Select-Object -First 1)
    $global:LASTEXITCODE = 0
    $cpuModel = ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', '')
    $command = 'dotnet tool restore && dotnet pwsh build.ps1 bench-fleet' +
        $(if ($Quick) { ' -Quick' } else { '' }) +
        $(if ($Scale -ne 1.0) { " -Scale $($Scale.ToString('0.###', $inv))" } else { '' }) +
        $(if ($back -lt $devices) { " -Reconnect $back" } else { '' }) +
        $(if ($Note) { ' -Note ''...''' } else { '' })
    $lines = @(
        '',
        "### Run of $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm', $inv)) UTC: $($devices.ToString('N0', $inv)) devices$(if ($back -lt $devices) { ", $($back.ToString('N0', $inv)) of them reconnecting" })",
        '',
        '- Command, from the repository root:',
        '',
        '  ```sh',
        "  $command",
        '  ```',
        '',
        "- $($devices.ToString('N0', $inv)) devices (scale $($setup.ScaleText)), $($back.ToString('N0', $inv)) of them in the reconnect phase; our broker first, then Mosquitto; $([int]$elapsed.TotalMinutes) min $($elapsed.Seconds) s in all.",
        "- Machine: $([Environment]::ProcessorCount) cores, CPU ``$cpuModel``; .NET SDK $dotnetVersion ($runtime); $mosquittoVersion (Debian package).",
        "- Load average (1 min) of the machine before the run: $loadBefore; after: $((Get-Content /proc/loadavg).Split(' ')[0]).",
        "- Stop exit codes (0 = graceful): actors-mqtt $($ours.StopExitCode), Mosquitto $($theirs.StopExitCode). Raw JSON and the brokers' logs: ``artifacts/bench-fleet/<date>/`` (not committed).",
        ''
    )
    if ($Note) {
        $lines += @("**Note:** $Note", '')
    }
    $failures = @($ours.Failures) + @($theirs.Failures)
    if ($failures.Count -gt 0) {
        $lines += '- **Phases that reported an error:**'
        $lines += @($failures | ForEach-Object { "  - $_" })
        $errorTexts = @(@($ours.Create, $ours.Reconnect, $theirs.Create, $theirs.Reconnect) | Where-Object { $null -ne $_ -and -not $_.ok } | ForEach-Object { "$($_.broker) $($_.scenario): $($_.errors -join '; ')" })
        $lines += @($errorTexts | ForEach-Object { "  - $_" })
        $lines += ''
    }
    $lines += @(
        '| metric | actors-mqtt | Mosquitto | ratio |',
        '|---|---:|---:|---:|'
    )
    $lines += Get-FleetRows $ours $theirs
    Update-BenchDoc ($lines -join "`n") 'fleet-bench'
    Write-Host ''
    Write-Host "Fleet bench results written to $BenchDoc (raw results in $($setup.WorkDir))"
    if ($failures.Count -gt 0) {
        Write-Host "Phases with errors: $($failures.Count)"
    }
}

# A throwaway PostgreSQL for bench-cluster: Debian's binaries, a fresh cluster in a temp folder, a free loopback port.
# PostgreSQL refuses to run as root, so as root it runs as the postgres user on a folder that user owns (as
# tests/Actors.Mqtt.Integration.Tests/Support/PostgresServer.cs does).
function Start-BenchPostgres {
    $bin = @(Get-ChildItem -Path /usr/lib/postgresql -Directory -ErrorAction SilentlyContinue | Sort-Object Name -Descending |
        ForEach-Object { Join-Path $_.FullName 'bin' } | Where-Object { Test-Path (Join-Path $_ 'pg_ctl') }) | Select-Object -First 1
    if (-not $bin) { Fail 'PostgreSQL is not installed (Debian package postgresql)' }
    $folder = [System.IO.Directory]::CreateTempSubdirectory('actors-mqtt-bench-pg-').FullName
    $root = (& id -u) -eq '0'
    if ($root) { Invoke-Native chown @('postgres:postgres', $folder) "chown of $folder failed" }
    $pg = [pscustomobject]@{ Bin = $bin; Folder = $folder; Data = (Join-Path $folder 'data'); Port = (Get-FreeLoopbackPort); Root = $root }
    Invoke-Postgres $pg 'initdb' @('-D', $pg.Data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync')
    Invoke-Postgres $pg 'pg_ctl' @('start', '-w', '-t', '60', '-D', $pg.Data, '-l', (Join-Path $folder 'server.log'),
        '-o', "-p $($pg.Port) -c listen_addresses=127.0.0.1 -c unix_socket_directories=$folder")
    return $pg
}

function Invoke-Postgres($Pg, [string]$Tool, [string[]]$Arguments) {
    $path = Join-Path $Pg.Bin $Tool
    if ($Pg.Root) { Invoke-Native runuser (@('-u', 'postgres', '--', $path) + $Arguments) "$Tool failed" }
    else { Invoke-Native $path $Arguments "$Tool failed" }
}

# A new empty database; returns its connection string.
function New-BenchDatabase($Pg, [string]$Name) {
    Invoke-Native (Join-Path $Pg.Bin 'psql') @('-h', '127.0.0.1', '-p', "$($Pg.Port)", '-U', 'postgres', '-q', '-c', "CREATE DATABASE $Name") "creating database $Name failed"
    return "Host=127.0.0.1;Port=$($Pg.Port);Username=postgres;Database=$Name"
}

function Stop-BenchPostgres($Pg) {
    if ($null -eq $Pg) { return }
    Invoke-Postgres $Pg 'pg_ctl' @('stop', '-w', '-m', 'fast', '-D', $Pg.Data)
    Remove-Item -LiteralPath $Pg.Folder -Recurse -Force -ErrorAction SilentlyContinue
}

# One broker node on PostgreSQL, with its monitoring port for /ready; $More are further --set settings (the cluster's).
function Start-BenchNode([string]$WorkDir, [string]$Name, [string]$Database, [string[]]$More) {
    $port = Get-FreeLoopbackPort
    $http = Get-FreeLoopbackPort
    $dll = Join-Path $PSScriptRoot "$ServerProject/bin/Release/net10.0/actors-mqtt.dll"
    $log = Join-Path $WorkDir "$Name.log"
    $sets = @(
        "actors-mqtt.listeners.tcp.port=$port", 'actors-mqtt.listeners.tcp.host=127.0.0.1',
        "actors-mqtt.limits.max-queued-messages=$BenchMaxQueued", 'actors-mqtt.limits.max-queued-bytes=0',
        'actors-mqtt.log.level=warning', 'actors-mqtt.persistence.store=postgresql',
        "actors-mqtt.persistence.postgresql.connection-string=$Database",
        'actors-mqtt.http.host=127.0.0.1', "actors-mqtt.http.port=$http") + $More
    $command = "dotnet '$dll' " + (($sets | ForEach-Object { "--set '$_'" }) -join ' ')
    $process = Start-LoggedProcess $command $log
    return [pscustomobject]@{ Name = $Name; Port = $port; HttpPort = $http; Process = $process; Log = $log }
}

# Waits until the node answers /ready with 200: an Up cluster member with its listeners bound (docs/cluster.md).
function Wait-NodeReady($Node) {
    $http = [System.Net.Http.HttpClient]::new()
    $http.Timeout = [TimeSpan]::FromSeconds(5)
    try {
        $deadline = (Get-Date).AddSeconds(120)
        while ((Get-Date) -lt $deadline) {
            if ($Node.Process.HasExited) {
                Fail "$($Node.Name) exited with code $($Node.Process.ExitCode) before it was ready; its log ($($Node.Log)):`n$(Get-Content -Raw -LiteralPath $Node.Log -ErrorAction SilentlyContinue)"
            }
            try {
                $response = $http.GetAsync("http://127.0.0.1:$($Node.HttpPort)/ready").GetAwaiter().GetResult()
                if ([int]$response.StatusCode -eq 200) { return }
            }
            catch {
                # Not listening yet.
            }
            Start-Sleep -Milliseconds 500
        }
        Fail "$($Node.Name) was not ready within 120 s (log: $($Node.Log))"
    }
    finally {
        $http.Dispose()
    }
}

# Runs the bench tool: clients on the nodes $Ports, CPU and memory of every process in $Nodes. Exit code 2 stops the script.
function Invoke-ClusterBenchTool([string]$BenchDll, $Nodes, $Ports, [string]$Label, [string]$Scenario, [string]$Scale, [string]$Json, [string[]]$More = @()) {
    $arguments = @($BenchDll) + @($Ports | ForEach-Object { '--port', "$_" }) + @($Nodes | ForEach-Object { '--broker-pid', "$($_.Process.Id)" }) +
        @('--label', $Label, '--scenario', $Scenario, '--scale', $Scale) + $More
    if ($Json) { $arguments += @('--json', $Json) } else { $arguments += '--no-progress' }
    Write-Step "$Scenario against $Label (ports $($Ports -join ', '))$(if (-not $Json) { ' (warm-up, not recorded)' })"
    $code = Invoke-NativeCommand dotnet $arguments
    if ($code -eq 2) { Fail 'the bench tool refused to run (exit code 2), see above' }
    return $code
}

function Get-ClusterBenchRows($AllResults) {
    $inv = [System.Globalization.CultureInfo]::InvariantCulture
    $perSecond = { param($r) $r.messagesPerSecond }
    $cpu = { param($r) $r.brokerCpuMicrosPerMessage }
    $queued = { param($r) $q = @($r.notes | Where-Object { $_ -like 'queued at * msg/s' }); if ($q.Count -gt 0) { [double]($q[0] -split ' ')[2] } }
    $p50 = { param($r) $r.latencyP50Micros }
    $p99 = { param($r) $r.latencyP99Micros }
    # scenario, label of the one-node results, label of the three-node results, metric name, value, format, which is better
    $rows = @(
        @('fan-in-qos1', 'one-node', 'three-nodes', 'delivered msg/s', $perSecond, 'N0', 'higher'),
        @('fan-in-qos1', 'one-node', 'three-nodes', 'broker CPU us/msg (all nodes)', $cpu, 'N1', 'lower'),
        @('persistent-qos1', 'one-node', 'three-nodes', 'acknowledged publish msg/s (queueing)', $queued, 'N0', 'higher'),
        @('persistent-qos1', 'one-node', 'three-nodes', 'drain msg/s', $perSecond, 'N0', 'higher'),
        @('persistent-qos1', 'one-node', 'three-nodes', 'broker CPU us/msg (all nodes)', $cpu, 'N1', 'lower'),
        @('point-to-point', 'one-node', 'three-nodes-same-node', 'latency p50 us, publisher and subscriber on one node', $p50, 'N0', 'lower'),
        @('point-to-point', 'one-node', 'three-nodes-same-node', 'latency p99 us, publisher and subscriber on one node', $p99, 'N0', 'lower'),
        @('point-to-point', $null, 'three-nodes', 'latency p50 us, subscriber on the next node', $p50, 'N0', 'lower'),
        @('point-to-point', $null, 'three-nodes', 'latency p99 us, subscriber on the next node', $p99, 'N0', 'lower'),
        @('point-to-point', 'one-node', 'three-nodes', 'broker CPU us/msg (all nodes)', $cpu, 'N1', 'lower'))
    $lines = @()
    foreach ($row in $rows) {
        $one = if ($row[1]) { (Get-Statistic @($AllResults | Where-Object { $_.scenario -eq $row[0] -and $_.broker -eq $row[1] }) $row[4] $row[5]).Text } else { 'n/a' }
        $three = (Get-Statistic @($AllResults | Where-Object { $_.scenario -eq $row[0] -and $_.broker -eq $row[2] }) $row[4] $row[5]).Text
        $lines += "| $($row[0]) | $($row[3]) ($($row[6]) is better) | $one | $three |"
    }
    return $lines
}

function Invoke-ClusterBench {
    $setup = Initialize-BenchRun 'Cluster bench' 'bench-cluster' @('postgresql') $(if ($RepeatsGiven) { $Repeats } else { 1 })
    $runRepeats = $setup.Repeats
    $runScale = $setup.Scale
    $scaleText = $setup.ScaleText
    $benchDll = $setup.Dll
    $workDir = $setup.WorkDir
    $inv = [System.Globalization.CultureInfo]::InvariantCulture

    $started = Get-Date
    $loadBefore = (Get-Content /proc/loadavg).Split(' ')[0]
    $failures = @()
    $nodes = @()
    $pg = $null
    try {
        $pg = Start-BenchPostgres
        for ($run = 1; $run -le $runRepeats; $run++) {
            # (a) One node: a cluster of one, on its own database.
            $single = Start-BenchNode $workDir "one-node-$run" (New-BenchDatabase $pg "one_$run") @()
            $nodes = @($single)
            Wait-NodeReady $single
            foreach ($scenario in $ClusterBenchScenarios) {
                # Warm: one untimed pass at the same counts, as bench does (the JIT's optimized tier).
                Invoke-ClusterBenchTool $benchDll $nodes @($single.Port) 'one-node' $scenario $scaleText $null | Out-Null
            }
            foreach ($scenario in $ClusterBenchScenarios) {
                $code = Invoke-ClusterBenchTool $benchDll $nodes @($single.Port) 'one-node' $scenario $scaleText (Join-Path $workDir "one-node-$scenario-$run.json")
                if ($code -ne 0) { $failures += "run $run, $scenario on one node: exit code $code" }
            }
            Stop-Broker $single
            $nodes = @()

            # (b) Three nodes, every one with the same seed nodes, on another database.
            $database = New-BenchDatabase $pg "three_$run"
            $clusterPorts = @(1..3 | ForEach-Object { Get-FreeLoopbackPort })
            $seeds = ($clusterPorts | ForEach-Object { "127.0.0.1:$_" }) -join ','
            $nodes = @(0..2 | ForEach-Object {
                    Start-BenchNode $workDir "three-nodes-$run-node$($_ + 1)" $database @(
                        'actors-mqtt.cluster.hostname=127.0.0.1', "actors-mqtt.cluster.port=$($clusterPorts[$_])",
                        "actors-mqtt.cluster.seed-nodes=$seeds", "actors-mqtt.cluster.split-brain-resolver.stable-after=$ClusterBenchStableAfter")
                })
            foreach ($node in $nodes) { Wait-NodeReady $node }
            $all = @($nodes | ForEach-Object { $_.Port })
            foreach ($scenario in $ClusterBenchScenarios) {
                Invoke-ClusterBenchTool $benchDll $nodes $all 'three-nodes' $scenario $scaleText $null | Out-Null
            }
            foreach ($scenario in $ClusterBenchScenarios) {
                $code = Invoke-ClusterBenchTool $benchDll $nodes $all 'three-nodes' $scenario $scaleText (Join-Path $workDir "three-nodes-$scenario-$run.json")
                if ($code -ne 0) { $failures += "run $run, $scenario on three nodes: exit code $code" }
            }
            # Latency with every client on the first node (their sessions may still live on the others: shards spread).
            $code = Invoke-ClusterBenchTool $benchDll $nodes @($nodes[0].Port) 'three-nodes-same-node' 'point-to-point' $scaleText (Join-Path $workDir "three-nodes-same-node-point-to-point-$run.json")
            if ($code -ne 0) { $failures += "run $run, point-to-point on one node of three: exit code $code" }

            # Failover: the third node (not the first seed) dies; its subscribers come back on the first and second.
            $victim = $nodes[2]
            $code = Invoke-ClusterBenchTool $benchDll @($nodes[0], $nodes[1]) @($victim.Port, $nodes[0].Port, $nodes[1].Port) 'three-nodes' 'cluster-failover' $scaleText (Join-Path $workDir "three-nodes-cluster-failover-$run.json") @('--kill-pid', "$($victim.Process.Id)", '--time-limit', '180')
            if ($code -ne 0) { $failures += "run $run, cluster-failover: exit code $code" }
            foreach ($node in $nodes) { Stop-Broker $node }
            $nodes = @()
        }
    }
    finally {
        foreach ($node in $nodes) { Stop-Broker $node }
        Stop-BenchPostgres $pg
    }
    $elapsed = (Get-Date) - $started

    $results = @(Get-ChildItem -Path $workDir -Filter '*.json' -File | ForEach-Object { (Get-Content -Raw -LiteralPath $_.FullName | ConvertFrom-Json).results })
    $failover = @($results | Where-Object { $_.scenario -eq 'cluster-failover' })
    $dotnetVersion = (& dotnet --version)
    $runtime = (& dotnet --list-runtimes | Where-Object { $_ -like 'Microsoft.NETCore.App*' } | Select-Object -Last 1) -replace '\s*\[.*\]$', ''
    $pgVersion = (& (Join-Path $pg.Bin 'postgres') --version)
    $cpuModel = ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', '')
    $command = 'dotnet tool restore && dotnet pwsh build.ps1 bench-cluster' +
        $(if ($Quick) { ' -Quick' } else { '' }) +
        $(if ($RepeatsGiven -and -not $Quick) { " -Repeats $Repeats" } else { '' }) +
        $(if ($Scale -ne 1.0) { " -Scale $($Scale.ToString('0.###', $inv))" } else { '' }) +
        $(if ($Note) { ' -Note ''...''' } else { '' })
    $lines = @(
        '',
        "### Run of $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm', $inv)) UTC",
        '',
        '- Command, from the repository root:',
        '',
        '  ```sh',
        "  $command",
        '  ```',
        '',
        "- $runRepeats repeat(s) at scale $scaleText$(if ($runScale -ne 1.0) { ' (**reduced counts**: not the full load)' }); $([int][Math]::Floor($elapsed.TotalMinutes)) min $($elapsed.Seconds) s in all. Each setup gets one untimed pass of the three scenarios at the same counts before it is measured.",
        "- One node: one broker process, ``store=postgresql``. Three nodes: three broker processes on one database of the same PostgreSQL ($pgVersion, Debian, defaults), seed nodes, ``cluster.hostname=127.0.0.1``, ``split-brain-resolver.stable-after=$ClusterBenchStableAfter``. Same counts for both, so the same total load.",
        "- On three nodes publishers connect to one node and their subscribers to the next, so every delivery crosses nodes (point-to-point spreads its pairs over the three nodes; fan-in and persistent put every publisher on the first node and the subscriber on the second). The same-node latency row has every client on the first node; their sessions may still live on the other nodes (shards are spread). Broker CPU is the sum over the nodes.",
        "- **The three nodes share $([Environment]::ProcessorCount) cores with each other, PostgreSQL and the load generator**: a cluster here adds the work of crossing nodes and gives no extra CPU, so these rows measure that overhead, not how a cluster on three machines scales.",
        "- Machine: $([Environment]::ProcessorCount) cores, CPU ``$cpuModel``; .NET SDK $dotnetVersion ($runtime).",
        "- Load average (1 min) of the machine before the run: $loadBefore; after: $((Get-Content /proc/loadavg).Split(' ')[0]).",
        "- Cells: median (min-max) over the repeats. Raw JSON and node logs: ``artifacts/bench-cluster/<date>/`` (not committed).",
        ''
    )
    if ($Note) {
        $lines += @("**Note:** $Note", '')
    }
    if ($failures.Count -gt 0) {
        $lines += '- **Runs that reported an error**:'
        $lines += @($failures | ForEach-Object { "  - $_" })
        $lines += @($results | Where-Object { -not $_.ok } | ForEach-Object { "  - $($_.broker) $($_.scenario): $($_.errors -join '; ')" } | Select-Object -Unique)
        $lines += ''
    }
    $lines += @('| scenario | metric | one node | three nodes |', '|---|---|---:|---:|')
    $lines += Get-ClusterBenchRows $results
    $lines += @(
        '',
        "**Failover** (``cluster-failover``, three nodes): two persistent QoS 1 subscribers (MQTT 3.1.1, clean session 0) on the node that is killed and two on the first node, a QoS 1 publisher at a steady rate on the second; after the warm-up the tool sends SIGKILL to the third node (not the first seed), and every client whose connection ends connects again, same client id, to the remaining nodes in turn. Failover time: from the kill until every subscriber has received a message published after it. Lost: acknowledged to the publisher and never received by a subscriber (must be 0). With ``stable-after`` at $ClusterBenchStableAfter; operators run the default 20 s, and failover takes about the difference (15 s) longer there.",
        '')
    $lines += @('| metric | three nodes |', '|---|---:|')
    $lines += "| failover time s (lower is better) | $((Get-Statistic $failover { param($r) $r.failoverSeconds } 'N1').Text) |"
    $lines += "| messages acknowledged by the publisher | $((Get-Statistic $failover { param($r) $r.acknowledged } 'N0').Text) |"
    $lines += "| deliveries of acknowledged messages received (4 subscribers) | $((Get-Statistic $failover { param($r) $r.delivered } 'N0').Text) |"
    $lines += "| lost (acknowledged, never received) | $((Get-Statistic $failover { param($r) $r.lost } 'N0').Text) |"
    $lines += "| duplicates | $((Get-Statistic $failover { param($r) $r.duplicates } 'N0').Text) |"
    $lines += ''
    foreach ($result in $failover) {
        $lines += "What the tool said: $(@($result.notes) -join '; ')."
        $lines += ''
    }
    Update-BenchDoc ($lines -join "`n") 'cluster-bench'
    Write-Host ''
    Write-Host "Cluster bench results written to $BenchDoc (raw results in $workDir)"
    if ($failures.Count -gt 0) {
        Write-Host "Runs with errors: $($failures.Count)"
    }
}

function Invoke-Soak {
    Write-Step "dotnet build $IntegrationTestProject -c Release"
    Invoke-Native dotnet @('build', $IntegrationTestProject, '-c', 'Release') "build of $IntegrationTestProject failed"

    $inv = [System.Globalization.CultureInfo]::InvariantCulture
    $stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMdd-HHmmss')
    $workDir = Join-Path $PSScriptRoot "artifacts/soak/$stamp"
    New-Item -ItemType Directory -Path $workDir -Force | Out-Null
    $summaryFile = Join-Path $workDir 'summary.txt'
    $firstSeed = if ($SeedGiven) { $Seed } else { Get-Random -Minimum 1 -Maximum 1000000 }
    $settings = @{
        ACTORS_MQTT_SOAK_MINUTES = $Minutes.ToString($inv)
        ACTORS_MQTT_SOAK_RATE = "$Rate"
        ACTORS_MQTT_SOAK_KILLS_PER_MINUTE = $KillsPerMinute.ToString($inv)
        ACTORS_MQTT_SOAK_SUMMARY = $summaryFile
    }
    Write-Step "Soak: $Runs run(s) of $($Minutes.ToString($inv)) min at $Rate msg/s per publisher, $($KillsPerMinute.ToString($inv)) kills/min, first seed $firstSeed; logs in $workDir"

    $passed = 0
    try {
        foreach ($name in $settings.Keys) { Set-Item -Path "env:$name" -Value $settings[$name] }
        for ($run = 1; $run -le $Runs; $run++) {
            $runSeed = $firstSeed + $run - 1
            $env:ACTORS_MQTT_SOAK_SEED = "$runSeed"
            $log = Join-Path $workDir "run-$run-seed-$runSeed.log"
            $before = @(Get-Content -LiteralPath $summaryFile -ErrorAction SilentlyContinue).Count
            # The test's own output (and on failure its evidence) goes to the log; the console gets its summary line.
            $process = Start-LoggedProcess ("dotnet test '$IntegrationTestProject' -c Release --no-build --filter '$SoakTestFilter' " +
                "--logger 'console;verbosity=detailed'") $log
            $process.WaitForExit()
            $lines = @(Get-Content -LiteralPath $summaryFile -ErrorAction SilentlyContinue)
            $summary = if ($lines.Count -gt $before) { $lines[-1] } else { "soak seed=$runSeed result=FAIL (no summary: the run broke off)" }
            Write-Host "run $run/$Runs`: $summary"
            if ($process.ExitCode -ne 0) {
                Fail "soak run $run (seed $runSeed) failed; the evidence is in $log (replay: dotnet pwsh build.ps1 soak -Minutes $($Minutes.ToString($inv)) -Rate $Rate -KillsPerMinute $($KillsPerMinute.ToString($inv)) -Seed $runSeed)"
            }
            $passed++
        }
    }
    finally {
        foreach ($name in @($settings.Keys) + 'ACTORS_MQTT_SOAK_SEED') { Remove-Item -Path "env:$name" -ErrorAction SilentlyContinue }
    }
    Write-Host "soak: $passed of $Runs run(s) passed (summaries in $summaryFile)"
}

Push-Location $PSScriptRoot
try {
    if ($Target -ne 'bench-codec' -and $BenchArgs.Count -gt 0) {
        Fail "unexpected arguments for target '$Target': $($BenchArgs -join ' ') (extra arguments are for 'bench-codec' only)"
    }
    if ($Target -ne 'bench-fleet' -and $Scale -gt 10.0) {
        Fail "-Scale above 10 is for bench-fleet only (the other benches' queues and sockets are sized for 10)"
    }
    if ($Target -ne 'bench-fleet' -and $Reconnect -gt 0) {
        Fail "-Reconnect is for bench-fleet only"
    }
    switch ($Target) {
        'build' { Invoke-Build }
        'test' { Invoke-Test }
        'format' { Invoke-Format }
        'publish' { Invoke-Publish | Out-Null }
        'bench' { Invoke-BrokerBench }
        'bench-cluster' { Invoke-ClusterBench }
        'bench-fleet' { Invoke-FleetBench }
        'bench-codec' { Invoke-BenchCodec }
        'soak' { Invoke-Soak }
    }
}
finally {
    Pop-Location
}
exit 0

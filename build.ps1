#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Build, test, format and benchmark entry point for Actors.Mqtt.

.DESCRIPTION
    Run it through the local tool manifest so only the .NET SDK is needed:

        dotnet tool restore
        dotnet pwsh build.ps1 [build|test|format|bench] [extra BenchmarkDotNet args]

    build   dotnet build Actors.sln -c Release
    test    installs the Debian packages the tests need, checks formatting
            (dotnet format --verify-no-changes), runs dotnet test -c Release
            with TRX results in artifacts/test-results, and prints one line
            "tests: N passed, N failed, N skipped" (CI reads it). Exits non-zero
            if formatting is off, dotnet test fails, any test fails, or no test ran.
    format  dotnet format Actors.sln (fixes what `test` complains about)
    bench   runs the protocol benchmarks (BenchmarkDotNet); extra arguments are
            passed through, e.g. `dotnet pwsh build.ps1 bench --job short`.
#>
param(
    [ValidateSet('build', 'test', 'format', 'bench')]
    [string]$Target = 'build',

    # Everything after the target goes to BenchmarkDotNet (bench only).
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]]$BenchArgs = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# Debian packages the test run needs: mosquitto_pub/mosquitto_sub for the integration
# tests. 'postgresql' and 'chromium' (MQTT.js over WebSocket) join when their tests do.
$TestDebianPackages = @('mosquitto-clients', 'mosquitto')

$Solution = 'Actors.sln'
$TestResultsDir = Join-Path $PSScriptRoot 'artifacts/test-results'
$BenchProject = 'tests/Actors.Mqtt.Protocol.Benchmarks'

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

function Invoke-Build {
    Write-Step "dotnet build $Solution -c Release"
    Invoke-Native dotnet @('build', $Solution, '-c', 'Release') 'build failed'
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

    Write-Step "dotnet format $Solution --verify-no-changes"
    $formatExitCode = Invoke-NativeCommand dotnet @('format', $Solution, '--verify-no-changes')
    if ($formatExitCode -ne 0) {
        Fail "formatting or code style is off (dotnet format exit code $formatExitCode, details above): run 'dotnet pwsh build.ps1 format' to fix what it can fix automatically, then commit the result" $formatExitCode
    }

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

function Invoke-Bench {
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

Push-Location $PSScriptRoot
try {
    if ($Target -ne 'bench' -and $BenchArgs.Count -gt 0) {
        Fail "unexpected arguments for target '$Target': $($BenchArgs -join ' ') (extra arguments are for 'bench' only)"
    }
    switch ($Target) {
        'build' { Invoke-Build }
        'test' { Invoke-Test }
        'format' { Invoke-Format }
        'bench' { Invoke-Bench }
    }
}
finally {
    Pop-Location
}
exit 0

#!/usr/bin/env python3
"""Generate large, realistic ECS NDJSON for benchmarking shrike.

The documents look like what Elastic Endpoint (``event.module: endpoint``) and
Winlogbeat with the Sysmon module (``event.module: sysmon``) ship for Windows
hosts: process start/end, file creation, registry value set and network
connection events across tens of hosts and users. Each host runs one of the two
sensors. Shapes follow the Winlogbeat ingest golden files (Sysmon 1, 3, 5, 13;
``event.category``/``event.type`` arrays, ``process.args`` as the argv array,
``@timestamp`` ISO-8601 with milliseconds and ``Z``) and Elastic Endpoint
process documents (``process.Ext.ancestry``, ``data_stream``, base64 entity ids).

A sprinkling of code-signing abuse is mixed in (default: one attack scenario per
20,000 events): makecert/pvk2pfx, openssl req -x509 with a codeSigning EKU and
pkcs12 -export, certutil -addstore Root/TrustedPublisher, signtool sign /f with a
.pfx, and PowerShell New-SelfSignedCertificate -Type CodeSigningCert. Each
scenario is a short burst: the process start(s), the certificate/key files they
write, and the certificate-store registry value they set.

Standard library only. Deterministic for a given --seed and options.

  gen_ecs.py --events 100000 -o out.ndjson
  gen_ecs.py --size 500M > out.ndjson
"""

import argparse
import base64
import bisect
import hashlib
import random
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'scenarios'))
from winargv import argv_windows  # noqa: E402  one splitter for the scenarios and the benchmark

# --------------------------------------------------------------------------
# small helpers

def esc(s):
    """Escape a string for a JSON string literal (content is ASCII)."""
    if '\\' in s:
        s = s.replace('\\', '\\\\')
    if '"' in s:
        s = s.replace('"', '\\"')
    if '\n' in s:
        s = s.replace('\n', '\\n')
    return s


def jlist(items):
    return '[' + ','.join('"' + esc(a) + '"' for a in items) + ']'


def parse_size(s):
    s = s.strip().upper().rstrip('B')
    mult = 1
    for suf, m in (('K', 1 << 10), ('M', 1 << 20), ('G', 1 << 30), ('T', 1 << 40)):
        if s.endswith(suf):
            mult = m
            s = s[:-1]
            break
    return int(float(s) * mult)


def basename(p):
    return p[p.rfind('\\') + 1:]


def dirname(p):
    return p[:p.rfind('\\')]


def ext_of(p):
    b = basename(p)
    k = b.rfind('.')
    return b[k + 1:].lower() if k > 0 else ''


def fake_hashes(tag):
    b = tag.encode()
    return (hashlib.md5(b).hexdigest(), hashlib.sha1(b).hexdigest(),
            hashlib.sha256(b).hexdigest())


EPOCH_TO_FILETIME = 11644473600

# --------------------------------------------------------------------------
# static vocabulary

SYSMON_PROVIDER_GUID = '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'

# pe tuples are (company, product, description); product strings are kept ASCII so
# every line is 7-bit (the real ones carry the registered-trademark sign)
MS = ('Microsoft Corporation', 'Microsoft Windows Operating System')

DEPARTMENTS = ['FIN', 'HR', 'ENG', 'MKT', 'OPS', 'SAL', 'LEG', 'IT']
FIRST = ['james', 'mary', 'robert', 'patricia', 'john', 'jennifer', 'michael', 'linda', 'david',
         'elizabeth', 'william', 'barbara', 'richard', 'susan', 'joseph', 'jessica', 'thomas',
         'sarah', 'charles', 'karen', 'chris', 'lisa', 'daniel', 'nancy', 'matthew', 'betty',
         'anthony', 'sandra', 'mark', 'ashley', 'paul', 'emily', 'steven', 'kimberly', 'andrew',
         'donna', 'kenneth', 'michelle', 'joshua', 'carol', 'kevin', 'amanda', 'brian', 'melissa']
LAST = ['smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez',
        'martinez', 'hernandez', 'lopez', 'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor',
        'moore', 'jackson', 'martin', 'lee', 'perez', 'thompson', 'white', 'harris', 'clark']
REPOS = ['payments-api', 'web-portal', 'infra-tools', 'reporting', 'mobile-sdk', 'data-pipeline',
         'auth-service', 'inventory']
DOCS = ['Q1-forecast.xlsx', 'board-deck.pptx', 'invoice-2291.pdf', 'contract-draft.docx',
        'meeting-notes.docx', 'expenses-march.xlsx', 'roadmap.pptx', 'policy-update.pdf',
        'vendor-list.csv', 'timesheet.xlsx']
SITES = [('142.250.185.78', 'www.google.com'), ('142.250.74.110', 'mail.google.com'),
         ('13.107.42.14', 'outlook.office365.com'), ('52.96.166.130', 'outlook.office.com'),
         ('13.107.246.40', 'login.microsoftonline.com'), ('20.190.159.2', 'login.live.com'),
         ('151.101.1.140', 'www.reddit.com'), ('104.16.132.229', 'www.cloudflare.com'),
         ('140.82.112.3', 'github.com'), ('185.199.108.133', 'raw.githubusercontent.com'),
         ('52.113.194.132', 'teams.microsoft.com'), ('23.45.120.11', 'www.bing.com'),
         ('34.107.221.82', 'detectportal.firefox.com'), ('54.239.28.85', 'www.amazon.com')]
MS_ENDPOINTS = [('20.42.65.92', 'v10.events.data.microsoft.com'),
                ('13.89.179.12', 'settings-win.data.microsoft.com'),
                ('40.126.32.134', 'login.microsoftonline.com'),
                ('13.107.4.50', 'ctldl.windowsupdate.com'),
                ('20.72.235.82', 'fe3cr.delivery.mp.microsoft.com'),
                ('52.184.217.56', 'wdcp.microsoft.com'),
                ('93.184.221.240', 'crl.microsoft.com')]

# --------------------------------------------------------------------------
# process templates
#
# Each template: key, executable, pe (company, product, description),
# original file name, version, signer, weight (for starts), parents (template
# keys; '@user' = the user's explorer.exe, '@services' = services.exe),
# account ('user', 'system', 'localservice', 'networkservice'), long (True if
# it tends to live long), cmd(rng, ctx) -> command line, and activity
# functions for file/registry/network events.

PSH = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'
CHROME = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'
EDGE = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'
GIT = 'C:\\Program Files\\Git\\cmd\\git.exe'
GITM = 'C:\\Program Files\\Git\\mingw64\\bin\\git.exe'
MSBUILD = 'C:\\Program Files\\Microsoft Visual Studio\\2022\\Professional\\MSBuild\\Current\\Bin\\amd64\\MSBuild.exe'
CSC = 'C:\\Program Files\\Microsoft Visual Studio\\2022\\Professional\\MSBuild\\Current\\Bin\\Roslyn\\csc.exe'
CODE = 'C:\\Users\\{u}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe'
TEAMS = 'C:\\Program Files\\WindowsApps\\MSTeams_24033.811.2738.2546_x64__8wekyb3d8bbwe\\ms-teams.exe'
OUTLOOK = 'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE'
EXCEL = 'C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE'
WINWORD = 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE'
ONEDRIVE = 'C:\\Users\\{u}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe'
MPCMD = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24010.12-0\\MpCmdRun.exe'
PYTHON = 'C:\\Users\\{u}\\AppData\\Local\\Programs\\Python\\Python311\\python.exe'

SVCHOST_GROUPS = [
    '-k netsvcs -p -s Schedule', '-k netsvcs -p -s gpsvc', '-k netsvcs -p -s BITS',
    '-k netsvcs -p -s wuauserv', '-k LocalServiceNetworkRestricted -p -s EventLog',
    '-k NetworkService -p -s Dnscache', '-k NetworkService -p -s CryptSvc',
    '-k wsappx -p -s AppXSvc', '-k DcomLaunch -p', '-k LocalSystemNetworkRestricted -p -s SysMain',
    '-k UnistackSvcGroup -s CDPUserSvc_4f2a1', '-k LocalService -p -s BthAvctpSvc',
    '-k netsvcs -p -s UsoSvc', '-k utcsvc -p', '-k appmodel -p -s StateRepository',
    '-k LocalServiceNoNetworkFirewall -p', '-k RPCSS -p', '-k netsvcs -p -s Winmgmt',
]

BENIGN_PS = [
    '-NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\IT\\Scripts\\Get-DiskInventory.ps1',
    '-NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\IT\\Scripts\\Sync-Printers.ps1 -Site HQ',
    '-NoLogo -NonInteractive -Command "Get-Service | Where-Object {$_.Status -eq \'Running\'} | Export-Csv C:\\Temp\\services.csv -NoTypeInformation"',
    '-NoProfile -Command "Get-ChildItem Cert:\\LocalMachine\\Root | Select-Object Subject, NotAfter | Format-Table -AutoSize"',
    '-NoProfile -Command "Get-WmiObject Win32_LogicalDisk | Select-Object DeviceID, FreeSpace"',
    '-ExecutionPolicy RemoteSigned -File "C:\\Users\\{u}\\source\\repos\\{repo}\\build\\bootstrap.ps1"',
    '-NoProfile -NonInteractive -Command "Import-Module PSReadLine; Get-History | Select-Object -Last 20"',
    '-NoProfile -Command "Test-NetConnection fileserver01.corp.example.com -Port 445"',
    '-NoProfile -Command "Get-ItemProperty HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\* | Select-Object DisplayName, DisplayVersion"',
    '-File C:\\Program Files\\Contoso\\Agent\\scripts\\healthcheck.ps1',
]

CMD_LINES = [
    '/c "C:\\Users\\{u}\\source\\repos\\{repo}\\build.bat"',
    '/c dir /s /b "C:\\Users\\{u}\\Documents"',
    '/d /s /c "git rev-parse --abbrev-ref HEAD"',
    '/c ipconfig /all',
    '/c echo %USERNAME% & whoami /upn',
    '/c copy /y "\\\\fileserver01\\share\\templates\\{doc}" "C:\\Users\\{u}\\Documents"',
    '/c npm run build',
    '/c "C:\\ProgramData\\IT\\Scripts\\map-drives.cmd"',
    '/c del /q "C:\\Users\\{u}\\AppData\\Local\\Temp\\*.tmp"',
]

CERTUTIL_BENIGN = [
    '-store root', '-store -user my', '-store CA', '-verifystore Root',
    '-hashfile "C:\\Users\\{u}\\Downloads\\setup-{n}.exe" SHA256',
    '-urlcache -f -split http://crl.microsoft.com/pki/crl/products/MicRooCerAut2011_2011_03_22.crl',
    '-verify -urlfetch "C:\\Users\\{u}\\Downloads\\vendor.cer"',
    '-dump "C:\\Users\\{u}\\Documents\\{doc}"',
]

GIT_CMDS = ['fetch --prune origin', 'status --porcelain', 'pull --ff-only', 'log -n 20 --oneline',
            'rev-parse HEAD', 'diff --stat', 'checkout -b feature/{n}', 'push origin HEAD',
            'submodule update --init --recursive', 'gc --auto', 'config --get remote.origin.url']


def rnd_hex(rng, n):
    return '%0*x' % (n, rng.getrandbits(n * 4))


def rnd_HEX(rng, n):
    return '%0*X' % (n, rng.getrandbits(n * 4))


def fill(s, rng, ctx):
    if '{' not in s:
        return s
    return (s.replace('{u}', ctx.user.name)
            .replace('{repo}', ctx.repo)
            .replace('{doc}', rng.choice(DOCS))
            .replace('{n}', str(rng.randint(100, 9999))))


class Ctx:
    __slots__ = ('user', 'repo', 'host')


class Tmpl:
    def __init__(self, key, exe, pe, ofn, ver, signer, weight, parents, account, long, cmd,
                 files=None, regs=None, nets=None, cwd=None):
        self.key = key
        self.exe = exe
        self.name = basename(exe)
        self.pe = pe
        self.ofn = ofn
        self.ver = ver
        self.signer = signer
        self.weight = weight
        self.parents = parents
        self.account = account
        self.long = long
        self.cmd = cmd
        self.files = files
        self.regs = regs
        self.nets = nets
        self.cwd = cwd


def chrome_child(exe):
    def f(rng, ctx):
        kind = rng.random()
        fth = '--field-trial-handle=%d,i,%d,%d,262144' % (
            rng.randint(1800, 2100), rng.getrandbits(63), rng.getrandbits(63))
        if kind < 0.6:
            return ('"%s" --type=renderer --lang=en-US --device-scale-factor=1 --num-raster-threads=4 '
                    '--enable-main-frame-before-activation --renderer-client-id=%d '
                    '--time-ticks-at-unix-epoch=-1709273611%06d --launch-time-ticks=%d '
                    '%s --mojo-platform-channel-handle=%d /prefetch:1'
                    % (exe, rng.randint(5, 400), rng.randint(0, 999999), rng.randint(10 ** 8, 10 ** 10),
                       fth, rng.randint(3000, 9000)))
        if kind < 0.85:
            return ('"%s" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US '
                    '--service-sandbox-type=none %s --mojo-platform-channel-handle=%d /prefetch:3'
                    % (exe, fth, rng.randint(1900, 2300)))
        return ('"%s" --type=gpu-process --gpu-preferences=UAAAAAAAAADgAAAYAAAAAAAAAAAAAAAAAABgAAAAAAAwAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= '
                '--mojo-platform-channel-handle=%d %s /prefetch:2' % (exe, rng.randint(1700, 2100), fth))
    return f


def browser_files(vendor):
    def f(rng, ctx):
        u = ctx.user.name
        r = rng.random()
        if r < 0.55:
            return ('C:\\Users\\%s\\AppData\\Local\\%s\\User Data\\Default\\Cache\\Cache_Data\\f_%06x'
                    % (u, vendor, rng.randint(0, 0xffffff)))
        if r < 0.75:
            return ('C:\\Users\\%s\\AppData\\Local\\%s\\User Data\\Default\\Code Cache\\js\\%s_0'
                    % (u, vendor, rnd_hex(rng, 16)))
        if r < 0.9:
            return 'C:\\Users\\%s\\AppData\\Local\\%s\\User Data\\Default\\%s' % (
                u, vendor, rng.choice(['History-journal', 'Cookies-journal', 'Network Action Predictor-journal',
                                      'Login Data For Account-journal', 'Shortcuts-journal']))
        return 'C:\\Users\\%s\\Downloads\\%s.crdownload' % (u, rng.choice(DOCS))
    return f


def browser_nets(rng, ctx):
    ip, dom = rng.choice(SITES)
    return ip, 443, 'tcp', dom


def ms_nets(rng, ctx):
    ip, dom = rng.choice(MS_ENDPOINTS)
    return ip, 443, 'tcp', dom


def dc_nets(rng, ctx):
    r = rng.random()
    if r < 0.5:
        return '10.20.0.10', 53, 'udp', 'dc01.corp.example.com'
    if r < 0.7:
        return '10.20.0.10', 389, 'tcp', 'dc01.corp.example.com'
    if r < 0.85:
        return '10.20.0.11', 88, 'tcp', 'dc02.corp.example.com'
    ip, dom = rng.choice(MS_ENDPOINTS)
    return ip, 443, 'tcp', dom


def smb_nets(rng, ctx):
    return '10.20.0.20', 445, 'tcp', 'fileserver01.corp.example.com'


def git_nets(rng, ctx):
    return rng.choice([('140.82.112.3', 443, 'tcp', 'github.com'), ('140.82.112.4', 443, 'tcp', 'github.com'),
                       ('10.20.5.40', 443, 'tcp', 'gitlab.corp.example.com')])


def explorer_files(rng, ctx):
    u = ctx.user.name
    r = rng.random()
    if r < 0.5:
        return 'C:\\Users\\%s\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\%s.lnk' % (u, rng.choice(DOCS))
    if r < 0.8:
        return 'C:\\Users\\%s\\AppData\\Local\\Microsoft\\Windows\\Explorer\\thumbcache_%s.db' % (
            u, rng.choice(['256', '96', 'idx', 'wide', 'exif']))
    return 'C:\\Users\\%s\\Documents\\%s' % (u, rng.choice(DOCS))


def office_files(rng, ctx):
    u = ctx.user.name
    r = rng.random()
    if r < 0.5:
        return 'C:\\Users\\%s\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.MSO\\%s.tmp' % (
            u, rnd_HEX(rng, 8))
    if r < 0.8:
        return 'C:\\Users\\%s\\Documents\\~$%s' % (u, rng.choice(DOCS))
    return 'C:\\Users\\%s\\AppData\\Local\\Temp\\Outlook Logging\\OUTLOOK_%d.etl' % (u, rng.randint(1, 99))


def git_files(rng, ctx):
    base = 'C:\\Users\\%s\\source\\repos\\%s\\.git\\' % (ctx.user.name, ctx.repo)
    return base + rng.choice(['FETCH_HEAD', 'index.lock', 'ORIG_HEAD', 'packed-refs',
                              'objects\\pack\\tmp_pack_%s' % rnd_hex(rng, 6),
                              'objects\\%02x\\%s' % (rng.randint(0, 255), rnd_hex(rng, 38))])


def build_files(rng, ctx):
    base = 'C:\\Users\\%s\\source\\repos\\%s\\' % (ctx.user.name, ctx.repo)
    proj = ctx.repo.replace('-', '').capitalize()
    return base + rng.choice(['obj\\Release\\net8.0\\%s.dll' % proj,
                              'obj\\Release\\net8.0\\%s.AssemblyInfo.cs' % proj,
                              'bin\\Release\\net8.0\\%s.dll' % proj,
                              'bin\\Release\\net8.0\\%s.pdb' % proj,
                              'obj\\project.assets.json',
                              'obj\\Release\\net8.0\\%s.csproj.CoreCompileInputs.cache' % proj])


def temp_files(rng, ctx):
    if ctx.user.name in ('SYSTEM', 'LOCAL SERVICE', 'NETWORK SERVICE'):
        return 'C:\\Windows\\Temp\\%s.tmp' % rnd_HEX(rng, 8)
    return 'C:\\Users\\%s\\AppData\\Local\\Temp\\%s' % (ctx.user.name, rng.choice(
        ['tmp%s.tmp' % rnd_HEX(rng, 4), '__PSScriptPolicyTest_%s.%s.ps1' % (rnd_hex(rng, 8)[:8], rnd_hex(rng, 3)),
         'StructuredQuery.log', '%s.etl' % rnd_hex(rng, 8)]))


def svchost_files(rng, ctx):
    return rng.choice([
        'C:\\Windows\\System32\\Tasks\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan',
        'C:\\Windows\\SoftwareDistribution\\DataStore\\Logs\\tmp.edb',
        'C:\\Windows\\Prefetch\\%s-%s.pf' % (rng.choice(['CHROME.EXE', 'MSEDGE.EXE', 'SVCHOST.EXE', 'GIT.EXE',
                                                          'CONHOST.EXE', 'CMD.EXE']), rnd_HEX(rng, 8)),
        'C:\\ProgramData\\Microsoft\\Windows\\wfp\\wfpdiag.etl',
        'C:\\Windows\\ServiceState\\EventLog\\Data\\lastalive%d.dat' % rng.randint(0, 1),
        'C:\\Windows\\System32\\LogFiles\\WMI\\RtBackup\\EtwRT.%s.etl' % rnd_hex(rng, 6)])


def defender_files(rng, ctx):
    return rng.choice([
        'C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service\\DetectionHistory\\%s' % rnd_HEX(rng, 8),
        'C:\\ProgramData\\Microsoft\\Windows Defender\\Support\\MPLog-%s.log' % rnd_hex(rng, 8),
        'C:\\ProgramData\\Microsoft\\Windows Defender\\Definition Updates\\{%s}\\mpasbase.vdm' % rnd_HEX(rng, 8)])


# registry activity: (path, type, data)

def user_hive(ctx):
    return 'HKU\\' + ctx.user.sid


def explorer_regs(rng, ctx):
    r = rng.random()
    h = user_hive(ctx)
    if r < 0.4:
        return (h + '\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\UserAssist\\'
                '{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\\Count\\%s' % rng.choice(
                    ['{6Q809377-6NS0-444O-8957-N3773S02200R}\\Tbbtyr\\Puebzr\\Nccyvpngvba\\puebzr.rkr',
                     'Zvpebfbsg.Jvaqbjf.Rkcybere', 'zfrqtr.rkr', '{1NP14R77-02R7-4R5Q-O744-2RO1NR5198O7}\\pzq.rkr']),
                'REG_BINARY', 'Binary Data')
    if r < 0.7:
        return (h + '\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.%s\\MRUListEx'
                % rng.choice(['docx', 'xlsx', 'pdf', 'pptx', 'csv']), 'REG_BINARY', 'Binary Data')
    if r < 0.85:
        return (h + '\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Streams\\Desktop\\TaskbarWinXP',
                'REG_BINARY', 'Binary Data')
    return (h + '\\Software\\Microsoft\\Windows\\Shell\\Bags\\%d\\Shell\\{5C4F28B5-F869-4E84-8E60-F11DB97C5CC7}\\Mode'
            % rng.randint(1, 120), 'REG_DWORD', 'DWORD (0x%08x)' % rng.randint(1, 8))


def svchost_regs(rng, ctx):
    r = rng.random()
    if r < 0.35:
        sid = ctx.host.users[rng.randrange(len(ctx.host.users))].sid
        return ('HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\%s\\\\Device\\HarddiskVolume3\\%s'
                % (sid, rng.choice(['Windows\\System32\\cmd.exe', 'Program Files\\Google\\Chrome\\Application\\chrome.exe',
                                    'Windows\\explorer.exe', 'Program Files\\Git\\cmd\\git.exe',
                                    'Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'])),
                'REG_BINARY', 'Binary Data')
    if r < 0.55:
        return ('HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\Microsoft\\Windows\\%s\\Index'
                % rng.choice(['UpdateOrchestrator\\Schedule Scan', 'Defrag\\ScheduledDefrag', 'WindowsUpdate\\Scheduled Start',
                              'Application Experience\\ProgramDataUpdater']), 'REG_DWORD', 'DWORD (0x%08x)' % rng.randint(1, 5))
    if r < 0.7:
        return ('HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Config\\LastKnownGoodTime', 'REG_QWORD',
                'QWORD (0x01da%04x-0x%08x)' % (rng.randint(0, 0xffff), rng.getrandbits(32)))
    if r < 0.9:
        return ('HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Orchestrator\\UScheduler\\%d\\%s'
                % (rng.randint(10000, 99999), rng.choice(['startTime', 'lastRun', 'nextRun'])), 'REG_QWORD',
                'QWORD (0x01da%04x-0x%08x)' % (rng.randint(0, 0xffff), rng.getrandbits(32)))
    # Windows Update refreshing the third-party root store (CryptSvc): a known benign look-alike
    return ('HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\Certificates\\%s\\Blob' % rnd_HEX(rng, 40),
            'REG_BINARY', 'Binary Data')


def browser_regs(vendor):
    def f(rng, ctx):
        return (user_hive(ctx) + '\\Software\\%s\\BLBeacon\\%s' % (vendor, rng.choice(['state', 'version', 'failed_count'])),
                'REG_DWORD', 'DWORD (0x%08x)' % rng.randint(0, 3))
    return f


def office_regs(rng, ctx):
    return (user_hive(ctx) + '\\Software\\Microsoft\\Office\\16.0\\%s\\Resiliency\\StartupItems\\%s'
            % (rng.choice(['Excel', 'Word', 'Outlook']), rnd_hex(rng, 3)), 'REG_BINARY', 'Binary Data')


def defender_regs(rng, ctx):
    return ('HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\%s'
            % rng.choice(['SignaturesLastUpdated', 'AVSignatureApplied', 'ASSignatureApplied']),
            'REG_BINARY', 'Binary Data')


def build_templates():
    T = []
    T.append(Tmpl('svchost', 'C:\\Windows\\System32\\svchost.exe', MS + ('Host Process for Windows Services',),
                  'svchost.exe', '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 30,
                  ['@services'], 'system', True,
                  lambda rng, ctx: 'C:\\Windows\\system32\\svchost.exe ' + rng.choice(SVCHOST_GROUPS),
                  files=svchost_files, regs=svchost_regs, nets=dc_nets, cwd='C:\\Windows\\system32\\'))
    T.append(Tmpl('chrome', CHROME, ('Google LLC', 'Google Chrome', 'Google Chrome'), 'chrome.exe',
                  '122.0.6261.112', 'Google LLC', 6, ['@user'], 'user', True,
                  lambda rng, ctx: '"%s" ' % CHROME + rng.choice(['', '--profile-directory=Default',
                                                                 '--single-argument https://intranet.corp.example.com/']),
                  files=browser_files('Google\\Chrome'), regs=browser_regs('Google\\Chrome'), nets=browser_nets))
    T.append(Tmpl('chromechild', CHROME, ('Google LLC', 'Google Chrome', 'Google Chrome'), 'chrome.exe',
                  '122.0.6261.112', 'Google LLC', 60, ['chrome'], 'user', True, chrome_child(CHROME),
                  files=browser_files('Google\\Chrome'), nets=browser_nets))
    T.append(Tmpl('msedge', EDGE, ('Microsoft Corporation', 'Microsoft Edge', 'Microsoft Edge'), 'msedge.exe', '122.0.2365.80',
                  'Microsoft Corporation', 5, ['@user'], 'user', True,
                  lambda rng, ctx: '"%s" ' % EDGE + rng.choice(['--single-argument microsoft-edge:///?ux=copilot',
                                                               '--profile-directory=Default', '']),
                  files=browser_files('Microsoft\\Edge'), regs=browser_regs('Microsoft\\Edge'), nets=browser_nets))
    T.append(Tmpl('msedgechild', EDGE, ('Microsoft Corporation', 'Microsoft Edge', 'Microsoft Edge'), 'msedge.exe', '122.0.2365.80',
                  'Microsoft Corporation', 40, ['msedge'], 'user', True, chrome_child(EDGE),
                  files=browser_files('Microsoft\\Edge'), nets=browser_nets))
    T.append(Tmpl('cmd', 'C:\\Windows\\System32\\cmd.exe', MS + ('Windows Command Processor',), 'Cmd.Exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 14, ['@user', 'code', 'msbuild'],
                  'user', False, lambda rng, ctx: '"C:\\Windows\\system32\\cmd.exe" ' + fill(rng.choice(CMD_LINES), rng, ctx),
                  files=temp_files))
    T.append(Tmpl('conhost', 'C:\\Windows\\System32\\conhost.exe', MS + ('Console Window Host',), 'CONHOST.EXE',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 18, ['cmd', 'powershell', 'git'],
                  'inherit', False, lambda rng, ctx: '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1'))
    T.append(Tmpl('powershell', PSH, MS + ('Windows PowerShell',), 'PowerShell.EXE',
                  '10.0.19041.3996 (WinBuild.160101.0800)', 'Microsoft Windows', 8, ['@user', 'cmd', 'code'], 'user',
                  False, lambda rng, ctx: '"%s" ' % PSH + fill(rng.choice(BENIGN_PS), rng, ctx),
                  files=temp_files, nets=smb_nets))
    T.append(Tmpl('powershell_sys', PSH, MS + ('Windows PowerShell',), 'PowerShell.EXE',
                  '10.0.19041.3996 (WinBuild.160101.0800)', 'Microsoft Windows', 3, ['svchost'], 'system',
                  False, lambda rng, ctx: 'powershell.exe ' + fill(rng.choice(BENIGN_PS[:5]), rng, ctx),
                  files=temp_files))
    T.append(Tmpl('git', GIT, ('The Git Development Community', 'Git', 'Git for Windows'), 'git.exe',
                  '2.44.0.windows.1', 'Johannes Schindelin', 10, ['@user', 'cmd', 'code', 'powershell'], 'user', False,
                  lambda rng, ctx: '"%s" ' % GIT + fill(rng.choice(GIT_CMDS), rng, ctx),
                  files=git_files, nets=git_nets))
    T.append(Tmpl('gitm', GITM, ('The Git Development Community', 'Git', 'Git for Windows'), 'git.exe',
                  '2.44.0.windows.1', 'Johannes Schindelin', 6, ['git'], 'user', False,
                  lambda rng, ctx: '"%s" %s' % (GITM, fill(rng.choice(GIT_CMDS), rng, ctx)), files=git_files))
    T.append(Tmpl('msbuild', MSBUILD, ('Microsoft Corporation', 'Microsoft Build Tools', 'MSBuild.exe'), 'MSBuild.exe', '17.9.5+33de0b227', 'Microsoft Corporation', 2,
                  ['cmd', 'code', 'powershell'], 'user', False,
                  lambda rng, ctx: '"%s" C:\\Users\\%s\\source\\repos\\%s\\%s.sln /p:Configuration=Release /m /nologo /v:minimal'
                  % (MSBUILD, ctx.user.name, ctx.repo, ctx.repo), files=build_files))
    T.append(Tmpl('csc', CSC, ('Microsoft Corporation', 'Microsoft .NET Compiler Platform', 'csc.exe'), 'csc.exe',
                  '4.9.0-3.24121.1', 'Microsoft Corporation', 2, ['msbuild'], 'user', False,
                  lambda rng, ctx: '"%s" /noconfig /unsafe- /checked- /nowarn:1701,1702 /fullpaths /nostdlib+ @C:\\Users\\%s\\AppData\\Local\\Temp\\tmp%s.rsp'
                  % (CSC, ctx.user.name, rnd_HEX(rng, 4)), files=build_files))
    T.append(Tmpl('certutil', 'C:\\Windows\\System32\\certutil.exe', MS + ('CertUtil.exe',), 'CertUtil.exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 0.5, ['cmd', 'powershell'], 'user', False,
                  lambda rng, ctx: 'certutil.exe ' + fill(rng.choice(CERTUTIL_BENIGN), rng, ctx)))
    T.append(Tmpl('explorer', 'C:\\Windows\\explorer.exe', MS + ('Windows Explorer',), 'EXPLORER.EXE',
                  '10.0.19041.3996 (WinBuild.160101.0800)', 'Microsoft Windows', 0, ['userinit'], 'user', True,
                  lambda rng, ctx: 'C:\\Windows\\Explorer.EXE', files=explorer_files, regs=explorer_regs, nets=smb_nets))
    T.append(Tmpl('notepad', 'C:\\Windows\\System32\\notepad.exe', MS + ('Notepad',), 'NOTEPAD.EXE',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 2, ['@user'], 'user', False,
                  lambda rng, ctx: rng.choice(['"C:\\Windows\\system32\\notepad.exe" ',
                                               '"C:\\Windows\\system32\\notepad.exe" C:\\Users\\%s\\Documents\\notes.txt' % ctx.user.name])))
    T.append(Tmpl('outlook', OUTLOOK, ('Microsoft Corporation', 'Microsoft Outlook', 'Microsoft Outlook'), 'Outlook.exe',
                  '16.0.17328.20162', 'Microsoft Corporation', 1, ['@user'], 'user', True,
                  lambda rng, ctx: '"%s" ' % OUTLOOK, files=office_files, regs=office_regs, nets=ms_nets))
    T.append(Tmpl('excel', EXCEL, ('Microsoft Corporation', 'Microsoft Office', 'Microsoft Excel'), 'Excel.exe',
                  '16.0.17328.20162', 'Microsoft Corporation', 2, ['@user', 'outlook'], 'user', False,
                  lambda rng, ctx: '"%s" "C:\\Users\\%s\\Documents\\%s"' % (EXCEL, ctx.user.name, rng.choice(DOCS)),
                  files=office_files, regs=office_regs))
    T.append(Tmpl('winword', WINWORD, ('Microsoft Corporation', 'Microsoft Office', 'Microsoft Word'), 'WinWord.exe',
                  '16.0.17328.20162', 'Microsoft Corporation', 2, ['@user', 'outlook'], 'user', False,
                  lambda rng, ctx: '"%s" /n "C:\\Users\\%s\\Documents\\%s" /o ""' % (WINWORD, ctx.user.name, rng.choice(DOCS)),
                  files=office_files, regs=office_regs))
    T.append(Tmpl('teams', TEAMS, ('Microsoft Corporation', 'Microsoft Teams', 'Microsoft Teams'), 'ms-teams.exe',
                  '24033.811.2738.2546', 'Microsoft Corporation', 1, ['@user'], 'user', True,
                  lambda rng, ctx: '"%s" msteams:system-initiated' % TEAMS, nets=ms_nets))
    T.append(Tmpl('onedrive', ONEDRIVE, ('Microsoft Corporation', 'Microsoft OneDrive', 'Microsoft OneDrive'), 'OneDrive.exe',
                  '24.030.0211.0001', 'Microsoft Corporation', 1, ['@user'], 'user', True,
                  lambda rng, ctx: '"%s" /background' % ONEDRIVE.replace('{u}', ctx.user.name), nets=ms_nets,
                  files=lambda rng, ctx: 'C:\\Users\\%s\\AppData\\Local\\Microsoft\\OneDrive\\logs\\Personal\\SyncDiagnostics.log' % ctx.user.name))
    T.append(Tmpl('code', CODE, ('Microsoft Corporation', 'Visual Studio Code', 'Visual Studio Code'), 'electron.exe',
                  '1.87.2', 'Microsoft Corporation', 1, ['@user'], 'user', True,
                  lambda rng, ctx: '"%s" "C:\\Users\\%s\\source\\repos\\%s"' % (CODE.replace('{u}', ctx.user.name), ctx.user.name, ctx.repo),
                  files=lambda rng, ctx: 'C:\\Users\\%s\\AppData\\Roaming\\Code\\User\\workspaceStorage\\%s\\state.vscdb-journal' % (ctx.user.name, rnd_hex(rng, 32)),
                  nets=browser_nets))
    T.append(Tmpl('python', PYTHON, ('Python Software Foundation', 'Python', 'Python'), 'python.exe', '3.11.8',
                  'Python Software Foundation', 1, ['cmd', 'code', 'powershell'], 'user', False,
                  lambda rng, ctx: '"%s" -m pytest -q tests\\unit' % PYTHON.replace('{u}', ctx.user.name), files=temp_files))
    T.append(Tmpl('wmiprvse', 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe', MS + ('WMI Provider Host',), 'Wmiprvse.exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 3, ['svchost'], 'networkservice', False,
                  lambda rng, ctx: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding'))
    T.append(Tmpl('taskhostw', 'C:\\Windows\\System32\\taskhostw.exe', MS + ('Host Process for Windows Tasks',),
                  'taskhostw.exe', '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 3, ['svchost'], 'user',
                  False, lambda rng, ctx: rng.choice(['taskhostw.exe', 'taskhostw.exe Install $(Arg0)',
                                                      'taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly'])))
    T.append(Tmpl('runtimebroker', 'C:\\Windows\\System32\\RuntimeBroker.exe', MS + ('Runtime Broker',), 'RuntimeBroker.exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 3, ['svchost'], 'user', False,
                  lambda rng, ctx: 'C:\\Windows\\System32\\RuntimeBroker.exe -Embedding'))
    T.append(Tmpl('searchprotocol', 'C:\\Windows\\System32\\SearchProtocolHost.exe', MS + ('Microsoft Windows Search Protocol Host',),
                  'SearchProtocolHost.exe', '7.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 3, ['searchindexer'],
                  'system', False,
                  lambda rng, ctx: '"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe%d '
                                   'Global\\UsGthrCtrlFltPipeMssGthrPipe%d 1 -2147483646 "Software\\Microsoft\\Windows Search" '
                                   '"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" '
                                   '"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon" '
                                   % (rng.randint(1, 300), rng.randint(1, 300)), files=temp_files))
    T.append(Tmpl('dllhost', 'C:\\Windows\\System32\\dllhost.exe', MS + ('COM Surrogate',), 'dllhost.exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 3, ['svchost'], 'user', False,
                  lambda rng, ctx: 'C:\\Windows\\system32\\DllHost.exe /Processid:%s' % rng.choice(
                      ['{3EB3C877-1F16-487C-9050-104DBCD66683}', '{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}',
                       '{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}'])))
    T.append(Tmpl('backgroundtask', 'C:\\Windows\\System32\\backgroundTaskHost.exe', MS + ('Background Task Host',),
                  'backgroundTaskHost.exe', '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 2, ['svchost'],
                  'user', False, lambda rng, ctx: '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:%s' % rng.choice(
                      ['BackgroundTaskHost.WebAccountProvider', 'App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca',
                       'CortanaUI.AppXy7vb4pc2dr3kc93kfc509b1d0arkfb2x.mca'])))
    T.append(Tmpl('mpcmdrun', MPCMD, ('Microsoft Corporation', 'Microsoft Malware Protection', 'Microsoft Malware Protection Command Line Utility'), 'MpCmdRun.exe',
                  '4.18.24010.12', 'Microsoft Corporation', 1, ['svchost'], 'system', False,
                  lambda rng, ctx: '"%s" %s' % (MPCMD, rng.choice(['-wdenable', '-SignatureUpdate -ScheduleJob -RestrictPrivileges',
                                                                    'SpyNetServiceDss -RestrictPrivileges -AccessKey %s -Reinvoke' % rnd_HEX(rng, 8)])),
                  files=defender_files, regs=defender_regs, nets=ms_nets))
    T.append(Tmpl('reg', 'C:\\Windows\\System32\\reg.exe', MS + ('Registry Console Tool',), 'reg.exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 1, ['cmd', 'powershell'], 'user', False,
                  lambda rng, ctx: 'reg  query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion" /v %s'
                  % rng.choice(['ProductName', 'CurrentBuild', 'DisplayVersion'])))
    T.append(Tmpl('tasklist', 'C:\\Windows\\System32\\tasklist.exe', MS + ('Lists the current running tasks.',), 'tasklist.exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 1, ['cmd', 'powershell'], 'user', False,
                  lambda rng, ctx: rng.choice(['tasklist /v', 'tasklist /FI "IMAGENAME eq chrome.exe"', 'tasklist /svc'])))
    T.append(Tmpl('ipconfig', 'C:\\Windows\\System32\\ipconfig.exe', MS + ('IP Configuration Utility',), 'ipconfig.exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 1, ['cmd'], 'user', False,
                  lambda rng, ctx: rng.choice(['ipconfig /all', 'ipconfig  /flushdns', 'ipconfig /renew'])))
    # persistent system processes that are parents and actors but are not started during the run
    T.append(Tmpl('services', 'C:\\Windows\\System32\\services.exe', MS + ('Services and Controller app',), 'services.exe',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 0, [], 'system', True,
                  lambda rng, ctx: 'C:\\Windows\\system32\\services.exe'))
    T.append(Tmpl('userinit', 'C:\\Windows\\System32\\userinit.exe', MS + ('Userinit Logon Application',), 'USERINIT.EXE',
                  '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 0, [], 'user', True,
                  lambda rng, ctx: 'C:\\Windows\\system32\\userinit.exe'))
    T.append(Tmpl('searchindexer', 'C:\\Windows\\System32\\SearchIndexer.exe', MS + ('Microsoft Windows Search Indexer',),
                  'SearchIndexer.exe', '7.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows', 0, ['services'], 'system',
                  True, lambda rng, ctx: 'C:\\Windows\\system32\\SearchIndexer.exe /Embedding', files=temp_files))
    T.append(Tmpl('msmpeng', 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24010.12-0\\MsMpEng.exe',
                  ('Microsoft Corporation', 'Microsoft Malware Protection', 'Antimalware Service Executable'), 'MsMpEng.exe', '4.18.24010.12', 'Microsoft Corporation',
                  0, ['services'], 'system', True,
                  lambda rng, ctx: '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24010.12-0\\MsMpEng.exe"',
                  files=defender_files, regs=defender_regs, nets=ms_nets))
    return T


# --------------------------------------------------------------------------
# attack scenarios: code-signing abuse

TOOLS = {
    'makecert': ('C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\makecert.exe',
                 ('Microsoft Corporation', 'Microsoft Windows Operating System', 'Certificate Creation Tool'), 'MakeCert.exe',
                 '10.0.22621.755 (WinBuild.160101.0800)', 'Microsoft Corporation'),
    'pvk2pfx': ('C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\pvk2pfx.exe',
                ('Microsoft Corporation', 'Microsoft Windows Operating System', 'PVK and SPC to PFX converter'), 'pvk2pfx.exe',
                '10.0.22621.755 (WinBuild.160101.0800)', 'Microsoft Corporation'),
    'signtool': ('C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe',
                 ('Microsoft Corporation', 'Microsoft Windows Operating System', 'Sign Tool'), 'signtool.exe',
                 '10.0.22621.755 (WinBuild.160101.0800)', 'Microsoft Corporation'),
    'openssl': ('C:\\Program Files\\OpenSSL-Win64\\bin\\openssl.exe',
                ('The OpenSSL Project, https://www.openssl.org/', 'The OpenSSL Toolkit', 'OpenSSL application'),
                'openssl.exe', '3.2.1', ''),
    'certutil': ('C:\\Windows\\System32\\certutil.exe', MS + ('CertUtil.exe',), 'CertUtil.exe',
                 '10.0.19041.3636 (WinBuild.160101.0800)', 'Microsoft Windows'),
    'powershell': (PSH, MS + ('Windows PowerShell',), 'PowerShell.EXE', '10.0.19041.3996 (WinBuild.160101.0800)',
                   'Microsoft Windows'),
}

VENDORS = ['Microsoft Corporation', 'Adobe Systems Incorporated', 'Google LLC', 'Contoso Software Ltd',
           'NVIDIA Corporation', 'Zoom Video Communications, Inc.']


def attack_steps(rng, user):
    """Return a list of steps: ('proc', tool, cmd) / ('file', path) / ('reg', path, type, data)."""
    tmp = 'C:\\Users\\%s\\AppData\\Local\\Temp' % user.name
    name = rng.choice(['codesign', 'cs', 'update', 'vendor', 'signer', 'dev'])
    vendor = rng.choice(VENDORS)
    thumb = rnd_HEX(rng, 40)
    pw = rng.choice(['P@ssw0rd', 'Passw0rd!', 'changeit', 'Summer2024!'])
    kind = rng.randrange(7)
    if kind == 0:
        return 'makecert+pvk2pfx', [
            ('proc', 'makecert', 'makecert.exe -r -pe -n "CN=%s" -a sha256 -cy end -sky signature '
             '-eku 1.3.6.1.5.5.7.3.3 -ss My -sr CurrentUser -sv %s\\%s.pvk %s\\%s.cer'
             % (vendor, tmp, name, tmp, name)),
            ('file', '%s\\%s.pvk' % (tmp, name)),
            ('file', '%s\\%s.cer' % (tmp, name)),
            ('reg', 'HKU\\%s\\SOFTWARE\\Microsoft\\SystemCertificates\\My\\Certificates\\%s\\Blob' % (user.sid, thumb),
             'REG_BINARY', 'Binary Data'),
            ('proc', 'pvk2pfx', 'pvk2pfx.exe -pvk %s\\%s.pvk -spc %s\\%s.cer -pfx %s\\%s.pfx -po %s'
             % (tmp, name, tmp, name, tmp, name, pw)),
            ('file', '%s\\%s.pfx' % (tmp, name))]
    if kind == 1:
        return 'openssl', [
            ('proc', 'openssl', '"C:\\Program Files\\OpenSSL-Win64\\bin\\openssl.exe" req -x509 -newkey rsa:4096 -sha256 '
             '-days 365 -nodes -keyout %s\\%s-key.pem -out %s\\%s-cert.pem -subj "/CN=%s" '
             '-addext extendedKeyUsage=codeSigning' % (tmp, name, tmp, name, vendor)),
            ('file', '%s\\%s-key.pem' % (tmp, name)),
            ('file', '%s\\%s-cert.pem' % (tmp, name)),
            ('proc', 'openssl', '"C:\\Program Files\\OpenSSL-Win64\\bin\\openssl.exe" pkcs12 -export -out %s\\%s.pfx '
             '-inkey %s\\%s-key.pem -in %s\\%s-cert.pem -passout pass:%s' % (tmp, name, tmp, name, tmp, name, pw)),
            ('file', '%s\\%s.pfx' % (tmp, name))]
    if kind == 2:
        return 'certutil-root', [
            ('file', '%s\\%s.cer' % (tmp, name)),
            ('proc', 'certutil', 'certutil.exe -addstore Root %s\\%s.cer' % (tmp, name)),
            ('reg', 'HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\%s\\Blob' % thumb,
             'REG_BINARY', 'Binary Data')]
    if kind == 3:
        return 'certutil-trustedpublisher', [
            ('file', '%s\\%s.cer' % (tmp, name)),
            ('proc', 'certutil', 'certutil.exe -addstore -f TrustedPublisher %s\\%s.cer' % (tmp, name)),
            ('reg', 'HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\TrustedPublisher\\Certificates\\%s\\Blob' % thumb,
             'REG_BINARY', 'Binary Data')]
    if kind == 4:
        target = 'C:\\Users\\%s\\Downloads\\%s' % (user.name, rng.choice(['setup.exe', 'update.exe', 'installer.exe',
                                                                          'AdobeUpdate.exe']))
        return 'signtool', [
            ('proc', 'signtool', '"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe" sign '
             '/f %s\\%s.pfx /p %s /fd sha256 %s' % (tmp, name, pw, target)),
            ('file', target)]
    if kind == 5:
        return 'powershell-selfsigned', [
            ('proc', 'powershell', '"%s" -Command "New-SelfSignedCertificate -Type CodeSigningCert -Subject \'CN=%s\' '
             '-CertStoreLocation Cert:\\CurrentUser\\My | Export-PfxCertificate -FilePath $env:TEMP\\%s.pfx '
             '-Password (ConvertTo-SecureString -String \'%s\' -Force -AsPlainText)"' % (PSH, vendor, name, pw)),
            ('reg', 'HKU\\%s\\SOFTWARE\\Microsoft\\SystemCertificates\\My\\Certificates\\%s\\Blob' % (user.sid, thumb),
             'REG_BINARY', 'Binary Data'),
            ('file', '%s\\%s.pfx' % (tmp, name))]
    return 'powershell-selfsigned-args', [
        ('proc', 'powershell', 'powershell.exe -NoProfile New-SelfSignedCertificate -Type CodeSigningCert '
         '-Subject CN=%s -CertStoreLocation Cert:\\CurrentUser\\My' % vendor.split()[0]),
        ('reg', 'HKU\\%s\\SOFTWARE\\Microsoft\\SystemCertificates\\My\\Certificates\\%s\\Blob' % (user.sid, thumb),
         'REG_BINARY', 'Binary Data')]


# --------------------------------------------------------------------------
# fleet model

class User:
    __slots__ = ('name', 'domain', 'sid', 'logon_id', 'logon_guid', 'session', 'integrity', 'interactive', 'repo')


class Proc:
    __slots__ = ('t', 'pid', 'eid', 'exe', 'name', 'cmd', 'args', 'user', 'parent', 'ancestry', 'ctx',
                 'f_short', 'f_parent', 'f_full', 'msg_hdr', 'hashes', 'long', 'alive')


WLB_VERSION = '8.12.2'
EP_VERSION = '8.12.2'


class Host:
    def __init__(self, rng, idx, name, sensor, users, ip):
        self.idx = idx
        self.name = name
        self.sensor = sensor
        self.users = users
        self.ip = ip
        self.procs = []          # running, not persistent
        self.persist = []        # persistent, never ended during the run
        self.by_key = {}         # template key -> list of running procs
        self.pids = set()
        self.record = rng.randint(100000, 9000000)
        self.seq = rng.randint(10 ** 6, 10 ** 8)
        self.mguid = rnd_HEX(rng, 8)
        self.guid_ctr = rng.randint(0, 0xffff)
        self.agent_id = '%s-%s-%s-%s-%s' % (rnd_hex(rng, 8), rnd_hex(rng, 4), rnd_hex(rng, 4), rnd_hex(rng, 4), rnd_hex(rng, 12))
        self.sysmon_pid = rng.randrange(1000, 6000, 4)
        self.sysmon_tids = [rng.randrange(1000, 9000, 4) for _ in range(4)]
        self.fqdn = name.lower() + '.corp.example.com'
        hid = rnd_hex(rng, 8) + '-' + rnd_hex(rng, 4) + '-' + rnd_hex(rng, 4) + '-' + rnd_hex(rng, 4) + '-' + rnd_hex(rng, 12)
        mac = '-'.join('%02X' % rng.randrange(256) for _ in range(6))
        server = name.startswith('SRV') or name.startswith('DC')
        if server:
            osname, osver, build, kern, rel = ('Windows Server 2022 Datacenter', '10.0', '20348.2340',
                                               '10.0.20348.2340 (WinBuild.160101.0800)', '21H2')
        else:
            osname, osver, build, kern, rel = ('Windows 10 Enterprise', '10.0', '19045.4170',
                                               '10.0.19041.4170 (WinBuild.160101.0800)', '22H2')
        hn = name.lower()
        if sensor == 'sysmon':
            self.f_host = ('"host":{"architecture":"x86_64","hostname":"%s","id":"%s","ip":["%s","fe80::%s:%s:%s:%s"],'
                           '"mac":["%s"],"name":"%s","os":{"build":"%s","family":"windows","kernel":"%s","name":"%s",'
                           '"platform":"windows","type":"windows","version":"%s"}}'
                           % (hn, hid, ip, rnd_hex(rng, 4), rnd_hex(rng, 4), rnd_hex(rng, 4), rnd_hex(rng, 4), mac,
                              hn, build, kern, osname, osver))
            self.f_agent = ('"agent":{"ephemeral_id":"%s-%s-%s-%s-%s","id":"%s","name":"%s","type":"winlogbeat","version":"%s"}'
                            % (rnd_hex(rng, 8), rnd_hex(rng, 4), rnd_hex(rng, 4), rnd_hex(rng, 4), rnd_hex(rng, 12),
                               self.agent_id, hn, WLB_VERSION))
        else:
            self.f_host = ('"host":{"architecture":"x86_64","hostname":"%s","id":"%s","ip":["%s","fe80::%s:%s:%s:%s"],'
                           '"mac":["%s"],"name":"%s","os":{"Ext":{"variant":"%s"},"family":"windows",'
                           '"full":"%s %s","kernel":"%s (10.0.%s)","name":"Windows","platform":"windows","type":"windows",'
                           '"version":"%s"}}'
                           % (hn, hid, ip, rnd_hex(rng, 4), rnd_hex(rng, 4), rnd_hex(rng, 4), rnd_hex(rng, 4),
                              mac.lower().replace('-', ':'), hn, osname, osname, rel, rel, build, rel))
            self.f_agent = ('"agent":{"build":{"original":"version: %s, compiled: Wed Feb 28 10:00:00 2024, branch: 8.12, '
                            'commit: %s"},"id":"%s","type":"endpoint","version":"%s"}'
                            % (EP_VERSION, rnd_hex(rng, 40), self.agent_id, EP_VERSION))
            self.f_elastic = '"elastic":{"agent":{"id":"%s"}}' % self.agent_id


class Gen:
    def __init__(self, args):
        self.rng = rng = random.Random(args.seed)
        self.attack_every = args.attack_rate
        self.templates = build_templates()
        self.tk = {t.key: t for t in self.templates}
        starters = [t for t in self.templates if t.weight > 0]
        self.start_keys = [t.key for t in starters]
        cum = []
        acc = 0.0
        for t in starters:
            acc += t.weight
            cum.append(acc)
        self.start_cum = cum
        self.hash_cache = {}
        self.ts_ms = int(args.start_epoch * 1000)
        self.rate = args.eps
        self.sec_cache = (-1, '', '')
        self.n_events = 0
        self.n_attack_events = 0
        self.n_attack_scen = 0
        self.n_attack_procs = 0
        self.attack_kinds = {}
        self.truth = []
        self.build_fleet(args.hosts, args.sensors)

    # ---- fleet

    def build_fleet(self, nhosts, sensors):
        rng = self.rng
        self.domain_sid = 'S-1-5-21-%d-%d-%d' % (rng.randint(10 ** 9, 4 * 10 ** 9), rng.randint(10 ** 9, 4 * 10 ** 9),
                                                 rng.randint(10 ** 8, 4 * 10 ** 9))
        used = set()
        rid = 1104
        self.hosts = []
        names = []
        for i in range(nhosts):
            if i < max(1, nhosts // 10):
                names.append(rng.choice(['SRV-BUILD-%02d', 'SRV-APP-%02d', 'SRV-FILE-%02d', 'SRV-SQL-%02d']) % (i + 1))
            else:
                names.append('WKS-%s-%04d' % (rng.choice(DEPARTMENTS), rng.randint(1, 9999)))
        for i, name in enumerate(names):
            if sensors == 'both':
                sensor = 'endpoint' if i % 2 == 0 else 'sysmon'
            else:
                sensor = sensors
            server = name.startswith('SRV')
            users = []
            nint = 1 if not server else rng.randint(1, 2)
            for _ in range(nint):
                while True:
                    uname = '%s.%s' % (rng.choice(FIRST), rng.choice(LAST))
                    if server:
                        uname = rng.choice(['svc_build', 'svc_sql', 'adm_', 'svc_backup']) + ('' if rng.random() < 0.5 else uname.split('.')[0])
                    if uname not in used or server:
                        break
                used.add(uname)
                rid += rng.randint(1, 40)
                users.append(self.mk_user(uname, 'CORP', '%s-%d' % (self.domain_sid, rid), True))
            ip = '10.20.%d.%d' % (rng.randint(1, 30), rng.randint(2, 250))
            h = Host(rng, i, name, sensor, users, ip)
            h.sys_users = {
                'system': self.mk_user('SYSTEM', 'NT AUTHORITY', 'S-1-5-18', False),
                'localservice': self.mk_user('LOCAL SERVICE', 'NT AUTHORITY', 'S-1-5-19', False),
                'networkservice': self.mk_user('NETWORK SERVICE', 'NT AUTHORITY', 'S-1-5-20', False),
            }
            h.weight = rng.uniform(0.3, 1.0) * (2.5 if server else 1.0)
            self.hosts.append(h)
            self.boot(h)
        cum = []
        acc = 0.0
        for h in self.hosts:
            acc += h.weight
            cum.append(acc)
        self.host_cum = cum

    def mk_user(self, name, domain, sid, interactive):
        rng = self.rng
        u = User()
        u.name = name
        u.domain = domain
        u.sid = sid
        u.interactive = interactive
        u.logon_id = '0x%x' % (rng.randint(0x20000, 0x9fffff) if interactive else {'S-1-5-18': 0x3e7, 'S-1-5-19': 0x3e5, 'S-1-5-20': 0x3e4}[sid])
        u.logon_guid = '{%s-%s-%s-%s-%s}' % (rnd_HEX(rng, 8), rnd_HEX(rng, 4), rnd_HEX(rng, 4), rnd_HEX(rng, 4), rnd_HEX(rng, 12))
        u.session = '1' if interactive else '0'
        u.integrity = 'Medium' if interactive else 'System'
        u.repo = rng.choice(REPOS)
        return u

    def boot(self, h):
        """Create the persistent processes each host has before the run starts (not emitted)."""
        sysu = h.sys_users['system']
        services = self.new_proc(h, self.tk['services'], None, sysu, persist=True, emit=False)
        h.services = services
        for _ in range(self.rng.randint(8, 14)):
            self.new_proc(h, self.tk['svchost'], services, sysu, persist=True, emit=False)
        self.new_proc(h, self.tk['msmpeng'], services, sysu, persist=True, emit=False)
        self.new_proc(h, self.tk['searchindexer'], services, sysu, persist=True, emit=False)
        h.explorer = {}
        for u in h.users:
            ui = self.new_proc(h, self.tk['userinit'], None, u, persist=True, emit=False)
            h.explorer[u.sid] = self.new_proc(h, self.tk['explorer'], ui, u, persist=True, emit=False)

    # ---- ids and time

    def alloc_pid(self, h):
        rng = self.rng
        while True:
            pid = rng.randrange(1000, 20000, 4)
            if pid not in h.pids:
                h.pids.add(pid)
                return pid

    def ts(self):
        ms = self.ts_ms
        sec = ms // 1000
        c = self.sec_cache
        if c[0] != sec:
            tm = time.gmtime(sec)
            c = (sec, time.strftime('%Y-%m-%dT%H:%M:%S', tm), time.strftime('%Y-%m-%d %H:%M:%S', tm))
            self.sec_cache = c
        m = ms % 1000
        return '%s.%03dZ' % (c[1], m), '%s.%03d' % (c[2], m)

    def hashes(self, exe, ver):
        k = exe + '|' + ver
        r = self.hash_cache.get(k)
        if r is None:
            r = fake_hashes(k.lower())
            self.hash_cache[k] = r
        return r

    # ---- processes

    def new_proc(self, h, t, parent, user, persist=False, emit=True, cmd=None, tool=None):
        rng = self.rng
        p = Proc()
        p.t = t
        p.pid = self.alloc_pid(h)
        if tool is not None:
            exe, pe, ofn, ver, signer = TOOLS[tool]
        else:
            exe, pe, ofn, ver, signer = t.exe, t.pe, t.ofn, t.ver, t.signer
        if '{u}' in exe:
            exe = exe.replace('{u}', user.name)
        p.exe = exe
        p.name = basename(exe)
        p.user = user
        p.parent = parent
        ctx = Ctx()
        ctx.user = user
        ctx.repo = user.repo
        ctx.host = h
        p.ctx = ctx
        if cmd is None:
            cmd = t.cmd(rng, ctx)
        p.cmd = cmd
        p.args = argv_windows(cmd)
        p.long = t.long if t is not None else False
        p.alive = True
        p.hashes = self.hashes(exe, ver)
        if h.sensor == 'sysmon':
            h.guid_ctr = (h.guid_ctr + 1) & 0xffff
            tsec = self.ts_ms // 1000
            p.eid = '{%s-%04X-%04X-%04X-00000000%02X00}' % (h.mguid, tsec & 0xffff, (tsec >> 16) & 0xffff,
                                                            h.guid_ctr, 0x05 if user.interactive else 0x04)
            p.ancestry = None
        else:
            ft = self.ts_ms / 1000.0 + EPOCH_TO_FILETIME + rng.random() / 1000.0
            p.eid = base64.b64encode(('%s-%d-%.9f' % (h.agent_id, p.pid, ft)).encode()).decode()
            anc = []
            q_ = parent
            while q_ is not None and len(anc) < 6:
                anc.append(q_.eid)
                q_ = q_.parent
            p.ancestry = anc
        eexe = esc(exe)
        ename = esc(p.name)
        ecmd = esc(cmd)
        eargs = jlist(p.args)
        md5, sha1, sha256 = p.hashes
        if h.sensor == 'sysmon':
            p.f_short = '"process":{"entity_id":"%s","executable":"%s","name":"%s","pid":%d}' % (p.eid, eexe, ename, p.pid)
            p.f_parent = ('"parent":{"args":%s,"args_count":%d,"command_line":"%s","entity_id":"%s","executable":"%s",'
                          '"name":"%s","pid":%d}' % (eargs, len(p.args), ecmd, p.eid, eexe, ename, p.pid))
        else:
            csig = ('{"exists":true,"signing_id":"","status":"trusted","subject_name":"%s","trusted":true}' % esc(signer)
                    if signer else '{"exists":false}')
            p.f_short = ('"process":{"Ext":{"ancestry":%s,"code_signature":[%s]},"code_signature":%s,"entity_id":"%s",'
                         '"executable":"%s","name":"%s","pid":%d}'
                         % (jlist(p.ancestry), csig, csig, p.eid, eexe, ename, p.pid))
            p.f_parent = ('"parent":{"args":%s,"args_count":%d,"command_line":"%s","entity_id":"%s","executable":"%s",'
                          '"name":"%s","pid":%d}' % (eargs, len(p.args), ecmd, p.eid, eexe, ename, p.pid))
        # full process object for start/end events
        if parent is not None:
            pf = parent.f_parent
            ppid = parent.pid
            pexe = parent.exe
            pcmd = parent.cmd
            peid = parent.eid
        else:
            pf = None
            ppid = 4 if user.sid == 'S-1-5-18' else rng.randrange(500, 900, 4)
            pexe = 'C:\\Windows\\System32\\winlogon.exe' if user.interactive else 'C:\\Windows\\System32\\wininit.exe'
            pcmd = 'winlogon.exe' if user.interactive else 'wininit.exe'
            peid = '{00000000-0000-0000-0000-000000000000}'
        cwd = t.cwd if t is not None and t.cwd else ('C:\\Users\\%s\\' % user.name if user.interactive else 'C:\\Windows\\system32\\')
        if h.sensor == 'sysmon':
            pe_ = ('"pe":{"company":"%s","description":"%s","file_version":"%s","original_file_name":"%s","product":"%s"}'
                   % (esc(pe[0]), esc(pe[2]), esc(ver), esc(ofn), esc(pe[1])))
            p.f_full = ('"process":{"args":%s,"args_count":%d,"command_line":"%s","entity_id":"%s","executable":"%s",'
                        '"hash":{"md5":"%s","sha1":"%s","sha256":"%s"},"name":"%s",%s%s,"pid":%d,"working_directory":"%s"}'
                        % (eargs, len(p.args), ecmd, p.eid, eexe, md5, sha1, sha256, ename,
                           (pf + ',') if pf else '', pe_, p.pid, esc(cwd)))
            desc = pe[2]
            p.msg_hdr = (desc, ver, pe[1], pe[0], ofn, cwd, ppid, pexe, pcmd, peid)
        else:
            pe_ = ('"pe":{"company":"%s","description":"%s","file_version":"%s","original_file_name":"%s","product":"%s"}'
                   % (esc(pe[0]), esc(pe[2]), esc(ver), esc(ofn), esc(pe[1])))
            integ = 'medium' if user.interactive else 'system'
            p.f_full = ('"process":{"Ext":{"ancestry":%s,"code_signature":[%s],"token":{"elevation":%s,"elevation_type":"%s",'
                        '"integrity_level_name":"%s"}},"args":%s,"args_count":%d,"code_signature":%s,"command_line":"%s",'
                        '"entity_id":"%s","executable":"%s","hash":{"md5":"%s","sha1":"%s","sha256":"%s"},"name":"%s",'
                        '%s%s,"pid":%d,"working_directory":"%s"}'
                        % (jlist(p.ancestry), csig, 'false' if user.interactive else 'true',
                           'limited' if user.interactive else 'default', integ, eargs, len(p.args), csig, ecmd, p.eid,
                           eexe, md5, sha1, sha256, ename, (pf + ',') if pf else '', pe_, p.pid, esc(cwd)))
            p.msg_hdr = None
        if persist:
            h.persist.append(p)
        else:
            h.procs.append(p)
        if t is not None:
            h.by_key.setdefault(t.key, []).append(p)
        if emit:
            return p, self.ev_proc(h, p, True)
        return p

    def end_proc(self, h, p):
        p.alive = False
        h.procs.remove(p)
        if p.t is not None:
            lst = h.by_key.get(p.t.key)
            if lst:
                lst.remove(p)
        h.pids.discard(p.pid)
        return self.ev_proc(h, p, False)

    # ---- event rendering

    def common_sysmon(self, h, eid, task, ts_iso, user):
        h.record += 1
        rng = self.rng
        return ('"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"%s",%s"event_id":"%s",'
                '"opcode":"Info","process":{"pid":%d,"thread":{"id":%d}},"provider_guid":"%s",'
                '"provider_name":"Microsoft-Windows-Sysmon","record_id":"%d","task":"%s",'
                '"user":{"domain":"NT AUTHORITY","identifier":"S-1-5-18","name":"SYSTEM","type":"Well Known Group"},"version":%d}'
                % (h.fqdn, '%s', eid, h.sysmon_pid, h.sysmon_tids[rng.getrandbits(2)], SYSMON_PROVIDER_GUID, h.record, task,
                   {'1': 5, '3': 5, '5': 3, '11': 2, '13': 2}[eid]))

    def ep_event(self, h, dataset, action, cats, types, ts_iso):
        h.seq += 1
        eid = base64.b64encode(h.seq.to_bytes(9, 'big') + h.idx.to_bytes(3, 'big')).decode()
        return ('"data_stream":{"dataset":"%s","namespace":"default","type":"logs"},"ecs":{"version":"8.10.0"},%s,'
                '"event":{"action":"%s","agent_id_status":"verified","category":%s,"created":"%s","dataset":"%s",'
                '"id":"%s","ingested":"%s","kind":"event","module":"endpoint","sequence":%d,"type":%s}'
                % (dataset, h.f_elastic, action, cats, ts_iso, dataset, eid, ts_iso, h.seq, types))

    def user_frag(self, u):
        return '"user":{"domain":"%s","id":"%s","name":"%s"}' % (u.domain, u.sid, esc(u.name))

    def ev_proc(self, h, p, start):
        ts_iso, utc = self.ts()
        u = p.user
        if h.sensor == 'sysmon':
            if start:
                desc, ver, prod, comp, ofn, cwd, ppid, pexe, pcmd, peid = p.msg_hdr
                md5, sha1, sha256 = p.hashes
                msg = ('Process Create:\\nRuleName: -\\nUtcTime: %s\\nProcessGuid: %s\\nProcessId: %d\\nImage: %s\\n'
                       'FileVersion: %s\\nDescription: %s\\nProduct: %s\\nCompany: %s\\nOriginalFileName: %s\\n'
                       'CommandLine: %s\\nCurrentDirectory: %s\\nUser: %s\\\\%s\\nLogonGuid: %s\\nLogonId: %s\\n'
                       'TerminalSessionId: %s\\nIntegrityLevel: %s\\nHashes: SHA1=%s,MD5=%s,SHA256=%s\\n'
                       'ParentProcessGuid: %s\\nParentProcessId: %d\\nParentImage: %s\\nParentCommandLine: %s\\n'
                       'ParentUser: %s'
                       % (utc, p.eid, p.pid, esc(p.exe), esc(ver), esc(desc), esc(prod), esc(comp), esc(ofn),
                          esc(p.cmd), esc(cwd), esc(u.domain), esc(u.name), u.logon_guid, u.logon_id, u.session,
                          u.integrity, sha1.upper(), md5.upper(), sha256.upper(), peid, ppid, esc(pexe), esc(pcmd),
                          'NT AUTHORITY\\\\SYSTEM' if p.parent is None or not p.parent.user.interactive
                          else esc(p.parent.user.domain + '\\' + p.parent.user.name)))
                wl = self.common_sysmon(h, '1', 'Process Create (rule: ProcessCreate)', ts_iso, u) % (
                    '"event_data":{"Company":"%s","Description":"%s","FileVersion":"%s","IntegrityLevel":"%s",'
                    '"LogonGuid":"%s","LogonId":"%s","Product":"%s","TerminalSessionId":"%s"},'
                    % (esc(comp), esc(desc), esc(ver), u.integrity, u.logon_guid, u.logon_id, esc(prod), u.session))
                return ('{"@timestamp":"%s",%s,"ecs":{"version":"8.17.0"},"event":{"action":"Process Create (rule: ProcessCreate)",'
                        '"category":["process"],"code":"1","created":"%s","kind":"event","module":"sysmon",'
                        '"provider":"Microsoft-Windows-Sysmon","type":["start"]},%s,"log":{"level":"information"},'
                        '"message":"%s",%s,"related":{"hash":["%s","%s","%s"],"user":["%s"]},%s,%s}\n'
                        % (ts_iso, h.f_agent, ts_iso, h.f_host, msg, p.f_full, md5, sha1, sha256, esc(u.name),
                           self.user_frag(u), wl))
            msg = ('Process terminated:\\nRuleName: -\\nUtcTime: %s\\nProcessGuid: %s\\nProcessId: %d\\nImage: %s\\nUser: %s\\\\%s'
                   % (utc, p.eid, p.pid, esc(p.exe), esc(u.domain), esc(u.name)))
            wl = self.common_sysmon(h, '5', 'Process terminated (rule: ProcessTerminate)', ts_iso, u) % ''
            return ('{"@timestamp":"%s",%s,"ecs":{"version":"8.17.0"},"event":{"action":"Process terminated (rule: ProcessTerminate)",'
                    '"category":["process"],"code":"5","created":"%s","kind":"event","module":"sysmon",'
                    '"provider":"Microsoft-Windows-Sysmon","type":["end"]},%s,"log":{"level":"information"},'
                    '"message":"%s",%s,"related":{"user":["%s"]},%s,%s}\n'
                    % (ts_iso, h.f_agent, ts_iso, h.f_host, msg, p.f_short, esc(u.name), self.user_frag(u), wl))
        # endpoint
        if start:
            ev = self.ep_event(h, 'endpoint.events.process', 'start', '["process"]', '["start"]', ts_iso)
            return ('{"@timestamp":"%s",%s,%s,%s,"message":"Endpoint process event",%s,%s}\n'
                    % (ts_iso, h.f_agent, ev, h.f_host, p.f_full, self.user_frag(u)))
        ev = self.ep_event(h, 'endpoint.events.process', 'end', '["process"]', '["end"]', ts_iso)
        full = p.f_full[:-1] + ',"end":"%s","exit_code":%d}' % (ts_iso, 0 if self.rng.random() < 0.97 else 1)
        return ('{"@timestamp":"%s",%s,%s,%s,"message":"Endpoint process event",%s,%s}\n'
                % (ts_iso, h.f_agent, ev, h.f_host, full, self.user_frag(u)))

    def ev_file(self, h, p, path):
        ts_iso, utc = self.ts()
        u = p.user
        epath = esc(path)
        b = basename(path)
        ext = ext_of(path)
        ff = '"file":{"directory":"%s",%s"name":"%s","path":"%s"}' % (
            esc(dirname(path)), ('"extension":"%s",' % ext) if ext else '', esc(b), epath)
        if h.sensor == 'sysmon':
            msg = ('File created:\\nRuleName: -\\nUtcTime: %s\\nProcessGuid: %s\\nProcessId: %d\\nImage: %s\\n'
                   'TargetFilename: %s\\nCreationUtcTime: %s\\nUser: %s\\\\%s'
                   % (utc, p.eid, p.pid, esc(p.exe), epath, utc, esc(u.domain), esc(u.name)))
            wl = self.common_sysmon(h, '11', 'File created (rule: FileCreate)', ts_iso, u) % (
                '"event_data":{"CreationUtcTime":"%s"},' % utc)
            return ('{"@timestamp":"%s",%s,"ecs":{"version":"8.17.0"},"event":{"action":"File created (rule: FileCreate)",'
                    '"category":["file"],"code":"11","created":"%s","kind":"event","module":"sysmon",'
                    '"provider":"Microsoft-Windows-Sysmon","type":["creation"]},%s,%s,"log":{"level":"information"},'
                    '"message":"%s",%s,"related":{"user":["%s"]},%s,%s}\n'
                    % (ts_iso, h.f_agent, ts_iso, ff, h.f_host, msg, p.f_short, esc(u.name), self.user_frag(u), wl))
        ev = self.ep_event(h, 'endpoint.events.file', 'creation', '["file"]', '["creation"]', ts_iso)
        ff = ff[:-1] + ',"Ext":{"header_bytes":"%s"}}' % rnd_hex(self.rng, 16) if self.rng.random() < 0.3 else ff
        return ('{"@timestamp":"%s",%s,%s,%s,%s,"message":"Endpoint file event",%s,%s}\n'
                % (ts_iso, h.f_agent, ev, ff, h.f_host, p.f_short, self.user_frag(u)))

    def ev_reg(self, h, p, path, rtype, data):
        ts_iso, utc = self.ts()
        u = p.user
        hive, _, rest = path.partition('\\')
        value = basename(path)
        if h.sensor == 'sysmon':
            if data.startswith('DWORD'):
                strings = str(int(data[data.find('(') + 1:-1], 16))
                stype = 'SZ_DWORD'
            elif data.startswith('QWORD'):
                strings = data
                stype = 'SZ_QWORD'
            else:
                strings = data
                stype = 'SZ_BINARY'
            msg = ('Registry value set:\\nRuleName: -\\nEventType: SetValue\\nUtcTime: %s\\nProcessGuid: %s\\nProcessId: %d\\n'
                   'Image: %s\\nTargetObject: %s\\nDetails: %s\\nUser: %s\\\\%s'
                   % (utc, p.eid, p.pid, esc(p.exe), esc(path), esc(data), esc(u.domain), esc(u.name)))
            wl = self.common_sysmon(h, '13', 'Registry value set (rule: RegistryEvent)', ts_iso, u) % (
                '"event_data":{"EventType":"SetValue"},')
            return ('{"@timestamp":"%s",%s,"ecs":{"version":"8.17.0"},"event":{"action":"RegistryEvent (Value Set)",'
                    '"category":["configuration","registry"],"code":"13","created":"%s","kind":"event","module":"sysmon",'
                    '"provider":"Microsoft-Windows-Sysmon","type":["change"]},%s,"log":{"level":"information"},'
                    '"message":"%s",%s,"registry":{"data":{"strings":["%s"],"type":"%s"},"hive":"%s","key":"%s",'
                    '"path":"%s","value":"%s"},"related":{"user":["%s"]},%s,%s}\n'
                    % (ts_iso, h.f_agent, ts_iso, h.f_host, msg, p.f_short, esc(strings), stype, hive,
                       esc(rest), esc(path), esc(value), esc(u.name), self.user_frag(u), wl))
        full_hive = {'HKLM': 'HKEY_LOCAL_MACHINE', 'HKU': 'HKEY_USERS'}.get(hive, hive)
        if data.startswith('DWORD'):
            rdata = '"strings":["%d"],' % int(data[data.find('(') + 1:-1], 16)
        elif data.startswith('QWORD'):
            hi_, lo_ = data[data.find('(') + 1:-1].split('-')
            rdata = '"strings":["%d"],' % ((int(hi_, 16) << 32) | int(lo_, 16))
        else:
            rdata = '"bytes":"%s",' % base64.b64encode(self.rng.getrandbits(96).to_bytes(12, 'big')).decode()
        ev = self.ep_event(h, 'endpoint.events.registry', 'modification', '["registry"]', '["change"]', ts_iso)
        return ('{"@timestamp":"%s",%s,%s,%s,"message":"Endpoint registry event",%s,"registry":{"data":{%s'
                '"type":"%s"},"hive":"%s","key":"%s","path":"%s\\\\%s","value":"%s"},%s}\n'
                % (ts_iso, h.f_agent, ev, h.f_host, p.f_short, rdata, rtype, hive, esc(dirname(rest)),
                   full_hive, esc(rest), esc(value), self.user_frag(u)))

    def ev_net(self, h, p, dst):
        ts_iso, utc = self.ts()
        rng = self.rng
        u = p.user
        dip, dport, proto, dom = dst
        sport = rng.randint(49152, 65535)
        if h.sensor == 'sysmon':
            prot = {53: 'dns', 443: 'https', 389: 'ldap', 88: 'kerberos', 445: 'microsoft-ds'}.get(dport, '')
            cid = '1:' + base64.b64encode(rng.getrandbits(160).to_bytes(20, 'big')).decode()
            msg = ('Network connection detected:\\nRuleName: -\\nUtcTime: %s\\nProcessGuid: %s\\nProcessId: %d\\nImage: %s\\n'
                   'User: %s\\\\%s\\nProtocol: %s\\nInitiated: true\\nSourceIsIpv6: false\\nSourceIp: %s\\nSourceHostname: %s\\n'
                   'SourcePort: %d\\nSourcePortName: -\\nDestinationIsIpv6: false\\nDestinationIp: %s\\n'
                   'DestinationHostname: %s\\nDestinationPort: %d\\nDestinationPortName: %s'
                   % (utc, p.eid, p.pid, esc(p.exe), esc(u.domain), esc(u.name), proto, h.ip, h.fqdn, sport, dip, dom,
                      dport, prot or '-'))
            wl = self.common_sysmon(h, '3', 'Network connection detected (rule: NetworkConnect)', ts_iso, u) % ''
            return ('{"@timestamp":"%s",%s,"destination":{"domain":"%s","ip":"%s","port":%d},"ecs":{"version":"8.17.0"},'
                    '"event":{"action":"Network connection detected (rule: NetworkConnect)","category":["network"],"code":"3",'
                    '"created":"%s","kind":"event","module":"sysmon","provider":"Microsoft-Windows-Sysmon",'
                    '"type":["start","connection","protocol"]},%s,"log":{"level":"information"},"message":"%s",'
                    '"network":{"community_id":"%s","direction":"egress","protocol":"%s","transport":"%s","type":"ipv4"},'
                    '%s,"related":{"ip":["%s","%s"],"user":["%s"]},"source":{"domain":"%s","ip":"%s","port":%d},%s,%s}\n'
                    % (ts_iso, h.f_agent, dom, dip, dport, ts_iso, h.f_host, msg, cid, prot, proto, p.f_short, h.ip, dip,
                       esc(u.name), h.fqdn, h.ip, sport, self.user_frag(u), wl))
        ev = self.ep_event(h, 'endpoint.events.network', 'connection_attempted', '["network"]', '["start"]', ts_iso)
        return ('{"@timestamp":"%s",%s,"destination":{"address":"%s","ip":"%s","port":%d},%s,%s,'
                '"message":"Endpoint network event","network":{"direction":"egress","transport":"%s","type":"ipv4"},%s,'
                '"source":{"address":"%s","ip":"%s","port":%d},%s}\n'
                % (ts_iso, h.f_agent, dip, dip, dport, ev, h.f_host, proto, p.f_short, h.ip, h.ip, sport,
                   self.user_frag(u)))

    # ---- choices

    def pick_host(self):
        x = self.rng.random() * self.host_cum[-1]
        return self.hosts[bisect.bisect_left(self.host_cum, x)]

    def pick_start_tmpl(self):
        x = self.rng.random() * self.start_cum[-1]
        return self.tk[self.start_keys[bisect.bisect_left(self.start_cum, x)]]

    def pick_parent(self, h, t):
        rng = self.rng
        opts = t.parents
        order = rng.sample(opts, len(opts)) if len(opts) > 1 else opts
        for k in order:
            if k == '@user':
                u = h.users[rng.randrange(len(h.users))]
                return h.explorer[u.sid]
            if k == '@services':
                return h.services
            lst = h.by_key.get(k)
            if lst:
                return lst[rng.randrange(len(lst))]
        return None

    def do_start(self, h):
        rng = self.rng
        for _ in range(8):
            t = self.pick_start_tmpl()
            par = self.pick_parent(h, t)
            if par is None:
                continue
            acct = t.account
            if acct == 'user':
                user = par.user if par.user.interactive else h.users[rng.randrange(len(h.users))]
            elif acct == 'inherit':
                user = par.user
            else:
                user = h.sys_users[acct]
            return self.new_proc(h, t, par, user)[1]
        return None

    def do_end(self, h):
        rng = self.rng
        procs = h.procs
        if not procs:
            return None
        p = procs[rng.randrange(len(procs))]
        if p.long and rng.random() < 0.85:
            p = procs[rng.randrange(len(procs))]
        # a parent outlives its console host: fine either way, Windows does not care
        return self.end_proc(h, p)

    def pick_actor(self, h, attr):
        rng = self.rng
        procs = h.procs
        pers = h.persist
        n1 = len(procs)
        n = n1 + len(pers)
        for _ in range(6):
            i = rng.randrange(n)
            p = procs[i] if i < n1 else pers[i - n1]
            if p.t is not None and getattr(p.t, attr) is not None:
                return p
        # fall back to a persistent actor that always has this activity
        cands = [p for p in pers if getattr(p.t, attr) is not None]
        return cands[rng.randrange(len(cands))] if cands else None

    def advance(self):
        # exponential inter-arrival at the configured fleet-wide rate, at least 0 ms
        self.ts_ms += int(self.rng.expovariate(self.rate) * 1000)

    def attack(self, out):
        rng = self.rng
        hosts = [h for h in self.hosts if not h.name.startswith('SRV')] or self.hosts
        h = hosts[rng.randrange(len(hosts))]
        user = h.users[rng.randrange(len(h.users))]
        kind, steps = attack_steps(rng, user)
        self.attack_kinds[kind] = self.attack_kinds.get(kind, 0) + 1
        self.n_attack_scen += 1
        # the operator's shell
        shell_t = self.tk['powershell'] if rng.random() < 0.6 else self.tk['cmd']
        if shell_t.key == 'powershell':
            scmd = '"%s" ' % PSH
        else:
            scmd = '"C:\\Windows\\system32\\cmd.exe" '
        shell, line = self.new_proc(h, shell_t, h.explorer[user.sid], user, cmd=scmd)
        out.append(line)
        n = 1
        cur = shell
        for st in steps:
            self.ts_ms += rng.randint(200, 9000)
            if st[0] == 'proc':
                tool = st[1]
                t = self.tk['powershell'] if tool == 'powershell' else self.tk['certutil'] if tool == 'certutil' else None
                cur, line = self.new_proc(h, t, shell, user, cmd=st[2], tool=tool)
                self.n_attack_procs += 1
                self.truth.append((self.ts()[0], h.name.lower(), h.sensor, kind, cur.name, cur.eid, cur.cmd))
            elif st[0] == 'file':
                line = self.ev_file(h, cur, st[1])
            else:
                line = self.ev_reg(h, cur, st[1], st[2], st[3])
            out.append(line)
            n += 1
        self.n_events += n
        self.n_attack_events += n
        # the attack's processes end later like any other short-lived process

    def run(self, out_fh, max_events, max_bytes):
        rng = self.rng
        buf = []
        written = 0
        nbuf = 0
        attack_every = self.attack_every
        attack_p = 1.0 / attack_every if attack_every > 0 else 0.0
        KINDS_CUM = (0.20, 0.37, 0.64, 0.82, 1.0)  # start, end, file, registry, network
        CAP = 70
        last_report = time.time()
        t0 = last_report
        while True:
            if max_events and self.n_events >= max_events:
                break
            self.advance()
            if attack_p and rng.random() < attack_p and (not max_events or self.n_events + 8 <= max_events):
                before = len(buf)
                self.attack(buf)
                nbuf += sum(len(x) for x in buf[before:])
            else:
                h = self.pick_host()
                x = rng.random()
                line = None
                if x < KINDS_CUM[0]:
                    line = self.end_proc(h, h.procs[0]) if len(h.procs) > CAP else self.do_start(h)
                elif x < KINDS_CUM[1]:
                    line = self.do_end(h) if len(h.procs) > 4 else self.do_start(h)
                elif x < KINDS_CUM[2]:
                    p = self.pick_actor(h, 'files')
                    if p is not None:
                        line = self.ev_file(h, p, p.t.files(rng, p.ctx))
                elif x < KINDS_CUM[3]:
                    p = self.pick_actor(h, 'regs')
                    if p is not None:
                        r = p.t.regs(rng, p.ctx)
                        line = self.ev_reg(h, p, r[0], r[1], r[2])
                else:
                    p = self.pick_actor(h, 'nets')
                    if p is not None:
                        line = self.ev_net(h, p, p.t.nets(rng, p.ctx))
                if line is None:
                    continue
                buf.append(line)
                nbuf += len(line)
                self.n_events += 1
            if max_bytes and written + nbuf >= max_bytes:
                break
            if nbuf >= 1 << 22:
                out_fh.write(''.join(buf).encode('ascii'))
                written += nbuf
                buf = []
                nbuf = 0
                now = time.time()
                if self.progress and now - last_report > 5:
                    last_report = now
                    sys.stderr.write('gen_ecs: %d events, %.0f MB, %.1f MB/s\n'
                                     % (self.n_events, written / 1e6, written / 1e6 / (now - t0)))
        if buf:
            out_fh.write(''.join(buf).encode('ascii'))
            written += nbuf
        return written


def main():
    ap = argparse.ArgumentParser(description='Generate realistic ECS NDJSON (Elastic Endpoint and Winlogbeat/Sysmon '
                                             'Windows events) with a sprinkling of code-signing abuse.')
    g = ap.add_mutually_exclusive_group()
    g.add_argument('--events', type=int, default=0, help='number of events to write (default 100000)')
    g.add_argument('--size', default='', help='output size, e.g. 200M, 1G (K/M/G are powers of 1024; stops at the first whole line that reaches SIZE)')
    ap.add_argument('-o', '--output', default='-', help='output file (default: stdout)')
    ap.add_argument('--seed', type=int, default=1, help='random seed (default 1); same seed and options, same bytes')
    ap.add_argument('--hosts', type=int, default=40, help='number of hosts (default 40)')
    ap.add_argument('--sensors', choices=['both', 'endpoint', 'sysmon'], default='both',
                    help='which sensor the hosts run: Elastic Endpoint, Winlogbeat+Sysmon or a mix (default both)')
    ap.add_argument('--attack-rate', type=int, default=20000,
                    help='on average one attack scenario per N events (default 20000; 0 = none); a scenario '
                         'is 3 to 7 events: the operator\'s shell, 1 or 2 malicious process starts, the '
                         'files and registry values they write')
    ap.add_argument('--truth', default='', help='write the malicious process starts as TSV to this file '
                                                '(timestamp, host.name, sensor, scenario, process.name, '
                                                'process.entity_id, process.command_line)')
    ap.add_argument('--start', default='2024-03-04T08:00:00Z', help='timestamp of the first event (UTC)')
    ap.add_argument('--eps', type=float, default=60.0, help='fleet-wide events per second of simulated time (default 60)')
    ap.add_argument('--quiet', action='store_true', help='no progress lines on stderr')
    args = ap.parse_args()
    if not args.events and not args.size:
        args.events = 100000
    max_bytes = parse_size(args.size) if args.size else 0
    if args.hosts < 1:
        ap.error('--hosts must be at least 1')
    if args.eps <= 0:
        ap.error('--eps must be positive')
    st = time.strptime(args.start.rstrip('Z').split('.')[0], '%Y-%m-%dT%H:%M:%S')
    import calendar
    args.start_epoch = calendar.timegm(st)

    gen = Gen(args)
    gen.progress = not args.quiet
    t0 = time.time()
    if args.output == '-':
        fh = sys.stdout.buffer
        close = False
    else:
        fh = open(args.output, 'wb')
        close = True
    try:
        written = gen.run(fh, args.events, max_bytes)
        fh.flush()
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, but say so
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.stderr.write('gen_ecs: output closed early after %d events\n' % gen.n_events)
        return 1
    finally:
        if close:
            fh.close()
    dt = time.time() - t0
    kinds = ', '.join('%s %d' % kv for kv in sorted(gen.attack_kinds.items()))
    sys.stderr.write('gen_ecs: wrote %d events (%d attack events in %d scenarios, %d attack process starts) '
                     '%d bytes in %.1fs (%.1f MB/s); hosts %d; simulated time %s .. %s\n'
                     % (gen.n_events, gen.n_attack_events, gen.n_attack_scen, gen.n_attack_procs, written, dt,
                        written / 1e6 / dt if dt > 0 else 0.0, len(gen.hosts), args.start, gen.ts()[0]))
    if kinds:
        sys.stderr.write('gen_ecs: attack scenarios: %s\n' % kinds)
    if args.truth:
        with open(args.truth, 'w') as tf:
            tf.write('timestamp\thost.name\tsensor\tscenario\tprocess.name\tprocess.entity_id\tprocess.command_line\n')
            for row in gen.truth:
                tf.write('\t'.join(row) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())

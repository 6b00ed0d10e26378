<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="nl_NL" sourcelanguage="en">
<context>
    <name>About</name>
    <message>
        <source>Softphone %1</source>
        <translation>Softphone %1</translation>
    </message>
    <message>
        <source>Hold-aware contact-centre softphone: disclosure first, nothing recorded on hold.</source>
        <translation>Softphone voor contactcentra die wachtstand kent: eerst de mededeling, niets opgenomen in de wachtstand.</translation>
    </message>
    <message>
        <source>About Softphone</source>
        <translation>Over Softphone</translation>
    </message>
</context>
<context>
    <name>ArchiveLabel</name>
    <message numerus="yes">
        <source>archive unreachable, %n waiting</source>
        <translation>
            <numerusform>archief onbereikbaar, %n wacht</numerusform>
            <numerusform>archief onbereikbaar, %n wachten</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CallActions</name>
    <message>
        <source>Call</source>
        <translation>Bellen</translation>
    </message>
    <message>
        <source>Call the number typed</source>
        <translation>Het getypte nummer bellen</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Aannemen</translation>
    </message>
    <message>
        <source>Answer the ringing call</source>
        <translation>Het binnenkomende gesprek aannemen</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>Weigeren</translation>
    </message>
    <message>
        <source>Reject the ringing call</source>
        <translation>Het binnenkomende gesprek weigeren</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>In de wacht</translation>
    </message>
    <message>
        <source>Hold or resume the call</source>
        <translation>Het gesprek in de wacht zetten of terugnemen</translation>
    </message>
    <message>
        <source>Switch call</source>
        <translation>Wisselen</translation>
    </message>
    <message>
        <source>Take back the other call (this one is held)</source>
        <translation>Het andere gesprek terugnemen (dit gesprek gaat in de wacht)</translation>
    </message>
    <message>
        <source>Pause recording</source>
        <translation>Opname pauzeren</translation>
    </message>
    <message>
        <source>Pause or resume the recording for privacy</source>
        <translation>De opname pauzeren of hervatten voor privacy</translation>
    </message>
    <message>
        <source>Pause with reason…</source>
        <translation>Pauzeren met reden…</translation>
    </message>
    <message>
        <source>Pause the recording and say why</source>
        <translation>De opname pauzeren en zeggen waarom</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Microfoon uit</translation>
    </message>
    <message>
        <source>Mute or unmute your microphone</source>
        <translation>Uw microfoon uit- of aanzetten</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>Ophangen</translation>
    </message>
    <message>
        <source>End the call</source>
        <translation>Het gesprek beëindigen</translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation>Doorverbinden…</translation>
    </message>
    <message>
        <source>Hand the call on (blind transfer)</source>
        <translation>Het gesprek direct doorverbinden (zonder ruggespraak)</translation>
    </message>
    <message>
        <source>Consult…</source>
        <translation>Ruggespraak…</translation>
    </message>
    <message>
        <source>Hold the call and call a colleague</source>
        <translation>Het gesprek in de wacht zetten en een collega bellen</translation>
    </message>
    <message>
        <source>Complete transfer</source>
        <translation>Doorverbinden voltooien</translation>
    </message>
    <message>
        <source>Join the customer with the colleague consulted</source>
        <translation>De klant verbinden met de geraadpleegde collega</translation>
    </message>
    <message>
        <source>Dial field</source>
        <translation>Kiesveld</translation>
    </message>
    <message>
        <source>Go to the dial field</source>
        <translation>Naar het kiesveld</translation>
    </message>
    <message>
        <source>Calls</source>
        <translation>Gesprekken</translation>
    </message>
    <message>
        <source>Go to the list of calls</source>
        <translation>Naar de lijst met gesprekken</translation>
    </message>
    <message>
        <source>Recent</source>
        <translation>Recent</translation>
    </message>
    <message>
        <source>Go to the recent numbers</source>
        <translation>Naar de recente nummers</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Geschiedenis</translation>
    </message>
    <message>
        <source>Go to the call history</source>
        <translation>Naar de gespreksgeschiedenis</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>Help</translation>
    </message>
    <message>
        <source>Show or hide these shortcuts</source>
        <translation>Deze sneltoetsen tonen of verbergen</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Instellingen…</translation>
    </message>
    <message>
        <source>Devices and preferences</source>
        <translation>Apparaten en voorkeuren</translation>
    </message>
    <message>
        <source>QA…</source>
        <translation>QA…</translation>
    </message>
    <message>
        <source>Find and replay recordings (the QA view)</source>
        <translation>Opnamen zoeken en terugluisteren (het QA-venster)</translation>
    </message>
</context>
<context>
    <name>CallList</name>
    <message>
        <source>Calls</source>
        <translation>Gesprekken</translation>
    </message>
</context>
<context>
    <name>CallPanel</name>
    <message>
        <source>Call status</source>
        <translation>Gespreksstatus</translation>
    </message>
    <message>
        <source>No call</source>
        <translation>Geen gesprek</translation>
    </message>
    <message>
        <source>Type a number to call, or wait for a call.</source>
        <translation>Typ een nummer om te bellen, of wacht op een gesprek.</translation>
    </message>
    <message>
        <source>%1, muted</source>
        <translation>%1, microfoon uit</translation>
    </message>
</context>
<context>
    <name>CallTray</name>
    <message>
        <source>Quit</source>
        <translation>Afsluiten</translation>
    </message>
    <message>
        <source>Softphone · no call</source>
        <translation>Softphone · geen gesprek</translation>
    </message>
    <message>
        <source>Softphone · %1: %2</source>
        <translation>Softphone · %1: %2</translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation>Inkomend gesprek</translation>
    </message>
    <message>
        <source>%1 is calling.</source>
        <translation>%1 belt.</translation>
    </message>
    <message>
        <source>Hide window</source>
        <translation>Venster verbergen</translation>
    </message>
    <message>
        <source>Show window</source>
        <translation>Venster tonen</translation>
    </message>
</context>
<context>
    <name>CallWords</name>
    <message>
        <source>Ended</source>
        <translation>Beëindigd</translation>
    </message>
    <message>
        <source>Ringing</source>
        <translation>Gaat over</translation>
    </message>
    <message>
        <source>Ringing at the other end</source>
        <translation>Gaat over bij de andere kant</translation>
    </message>
    <message>
        <source>Calling</source>
        <translation>Verbinden</translation>
    </message>
    <message>
        <source>Transferring</source>
        <translation>Doorverbinden</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>In de wacht</translation>
    </message>
    <message>
        <source>Held by the other side</source>
        <translation>In de wacht gezet door de andere kant</translation>
    </message>
    <message>
        <source>In conversation</source>
        <translation>In gesprek</translation>
    </message>
</context>
<context>
    <name>DeskBridge</name>
    <message>
        <source>The phone hit an error: %1</source>
        <translation>Er ging iets mis in de telefoon: %1</translation>
    </message>
</context>
<context>
    <name>DeviceChoice</name>
    <message>
        <source>System default</source>
        <translation>Systeemstandaard</translation>
    </message>
    <message>
        <source>%1 (not connected)</source>
        <translation>%1 (niet aangesloten)</translation>
    </message>
</context>
<context>
    <name>DialField</name>
    <message>
        <source>Number or SIP address</source>
        <translation>Nummer of SIP-adres</translation>
    </message>
    <message>
        <source>Number or SIP address to call</source>
        <translation>Te bellen nummer of SIP-adres</translation>
    </message>
    <message>
        <source>Type a number or a SIP address, then press Enter.</source>
        <translation>Typ een nummer of een SIP-adres en druk op Enter.</translation>
    </message>
    <message>
        <source>Enter calls %1</source>
        <translation>Enter belt %1</translation>
    </message>
</context>
<context>
    <name>DialText</name>
    <message>
        <source>There is no number in it.</source>
        <translation>Er staat geen nummer in.</translation>
    </message>
    <message>
        <source>That is too long for a phone number.</source>
        <translation>Dat is te lang voor een telefoonnummer.</translation>
    </message>
    <message>
        <source>A + may only stand at the start.</source>
        <translation>Een + mag alleen aan het begin staan.</translation>
    </message>
    <message>
        <source>“%1” cannot be dialled: use digits, +, * and #, or a SIP address.</source>
        <translation>“%1” kan niet gekozen worden: gebruik cijfers, +, * en #, of een SIP-adres.</translation>
    </message>
    <message>
        <source>A SIP address has no spaces in it.</source>
        <translation>Een SIP-adres bevat geen spaties.</translation>
    </message>
    <message>
        <source>That is not a SIP address such as sip:name@example.com.</source>
        <translation>Dat is geen SIP-adres zoals sip:naam@example.com.</translation>
    </message>
</context>
<context>
    <name>EvidencePanel</name>
    <message>
        <source>Disclosure</source>
        <translation>Opnamemelding</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>Id</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Taal</translation>
    </message>
    <message>
        <source>Purpose</source>
        <translation>Doel</translation>
    </message>
    <message>
        <source>Played</source>
        <translation>Afgespeeld</translation>
    </message>
    <message>
        <source>RTP packets</source>
        <translation>RTP-pakketten</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Marks on the timeline</source>
        <translation>Markeringen op de tijdlijn</translation>
    </message>
    <message>
        <source>Audit trail of this recording</source>
        <translation>Auditlog van deze opname</translation>
    </message>
    <message>
        <source>Integrity</source>
        <translation>Integriteit</translation>
    </message>
    <message>
        <source>Marks</source>
        <translation>Markeringen</translation>
    </message>
    <message>
        <source>Audit trail</source>
        <translation>Auditlog</translation>
    </message>
    <message>
        <source>(%1 s after the answer, for %2 s)</source>
        <translation>(%1 s na het opnemen, %2 s lang)</translation>
    </message>
    <message>
        <source>matches the policy&apos;s disclosure audio</source>
        <translation>komt overeen met de audio van de opnamemelding in het beleid</translation>
    </message>
    <message>
        <source>DIFFERS from the policy&apos;s disclosure audio</source>
        <translation>WIJKT AF van de audio van de opnamemelding in het beleid</translation>
    </message>
    <message>
        <source>no disclosure of this id in the policy here</source>
        <translation>het beleid hier kent geen opnamemelding met dit id</translation>
    </message>
    <message>
        <source>disclosure %1 (%2): %3</source>
        <translation>opnamemelding %1 (%2): %3</translation>
    </message>
    <message>
        <source>hold (%1), %2 s not recorded</source>
        <translation>in de wacht (%1), %2 s niet opgenomen</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>geen reden gegeven</translation>
    </message>
    <message>
        <source>privacy pause by %1: %2, %3 s not recorded</source>
        <translation>privacypauze door %1: %2, %3 s niet opgenomen</translation>
    </message>
    <message>
        <source>recording opened: %1</source>
        <translation>opname geopend: %1</translation>
    </message>
    <message>
        <source>recording closed: %1</source>
        <translation>opname gesloten: %1</translation>
    </message>
    <message>
        <source>interrupted: %1</source>
        <translation>onderbroken: %1</translation>
    </message>
</context>
<context>
    <name>HelpOverlay</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Sneltoetsen</translation>
    </message>
    <message>
        <source>F1 or Escape closes this.</source>
        <translation>F1 of Escape sluit dit overzicht.</translation>
    </message>
</context>
<context>
    <name>HistoryPanel</name>
    <message>
        <source>Call history</source>
        <translation>Gespreksgeschiedenis</translation>
    </message>
    <message>
        <source>not answered</source>
        <translation>niet beantwoord</translation>
    </message>
    <message>
        <source>recorded</source>
        <translation>met opname</translation>
    </message>
    <message>
        <source>not recorded</source>
        <translation>zonder opname</translation>
    </message>
</context>
<context>
    <name>InlinePrompt</name>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuleren</translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>Bevestigen</translation>
    </message>
    <message>
        <source>Cancel the question</source>
        <translation>De vraag annuleren</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <source>Keypad</source>
        <translation>Toetsenblok</translation>
    </message>
    <message>
        <source>star</source>
        <translation>ster</translation>
    </message>
    <message>
        <source>hash</source>
        <translation>hekje</translation>
    </message>
    <message>
        <source>Key %1</source>
        <translation>Toets %1</translation>
    </message>
</context>
<context>
    <name>LevelBar</name>
    <message>
        <source>Microphone level</source>
        <translation>Microfoonniveau</translation>
    </message>
</context>
<context>
    <name>Library</name>
    <message>
        <source>Search parties, pause reasons, notes…</source>
        <translation>Zoek in deelnemers, pauzeredenen, notities…</translation>
    </message>
    <message>
        <source>inbound</source>
        <translation>inkomend</translation>
    </message>
    <message>
        <source>outbound</source>
        <translation>uitgaand</translation>
    </message>
    <message>
        <source>with hold</source>
        <translation>in de wacht gezet</translation>
    </message>
    <message>
        <source>without hold</source>
        <translation>nooit in de wacht</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>onderbroken</translation>
    </message>
    <message>
        <source>not interrupted</source>
        <translation>niet onderbroken</translation>
    </message>
    <message>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <source>any</source>
        <translation>alle</translation>
    </message>
    <message>
        <source>Start (UTC)</source>
        <translation>Begin (UTC)</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>Richting</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agent</translation>
    </message>
    <message>
        <source>Remote party</source>
        <translation>Andere partij</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>Duur</translation>
    </message>
    <message>
        <source>Holds</source>
        <translation>In de wacht</translation>
    </message>
    <message>
        <source>Pauses</source>
        <translation>Pauzes</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>In de wacht</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <translation>Onderbroken</translation>
    </message>
    <message>
        <source>to</source>
        <translation>tot</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Begonnen</translation>
    </message>
    <message>
        <source>At least</source>
        <translation>Minstens</translation>
    </message>
    <message numerus="yes">
        <source>%n recording(s)</source>
        <translation>
            <numerusform>%n opname</numerusform>
            <numerusform>%n opnamen</numerusform>
        </translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>onleesbaar</translation>
    </message>
    <message>
        <source>sealed</source>
        <translation>versleuteld</translation>
    </message>
    <message>
        <source>plain WAV</source>
        <translation>gewone WAV</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Softphone</source>
        <translation>Softphone</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Account</translation>
    </message>
    <message>
        <source>Recent</source>
        <translation>Recent</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Geschiedenis</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <source>&amp;About Softphone</source>
        <translation>&amp;Over Softphone</translation>
    </message>
    <message>
        <source>Agent %1 · no registration reported</source>
        <translation>Agent %1 · nog geen aanmelding gemeld</translation>
    </message>
    <message>
        <source>The call with %1 ended.</source>
        <translation>Het gesprek met %1 is beëindigd.</translation>
    </message>
    <message>
        <source>Agent %1 · registered (%2)</source>
        <translation>Agent %1 · aangemeld (%2)</translation>
    </message>
    <message>
        <source>Agent %1 · not registered (%2): calls may not reach you</source>
        <translation>Agent %1 · niet aangemeld (%2): gesprekken komen mogelijk niet bij u binnen</translation>
    </message>
    <message>
        <source>The other side pressed %1.</source>
        <translation>De andere kant drukte op %1.</translation>
    </message>
    <message>
        <source>Type a number or a SIP address first.</source>
        <translation>Typ eerst een nummer of een SIP-adres.</translation>
    </message>
    <message>
        <source>Not dialled: %1</source>
        <translation>Niet gebeld: %1</translation>
    </message>
    <message>
        <source>The policy asks why you pause (say what, never the number):</source>
        <translation>Het beleid vraagt waarom u pauzeert (noem waarvoor, nooit het nummer zelf):</translation>
    </message>
    <message>
        <source>Why do you pause the recording? (optional)</source>
        <translation>Waarom pauzeert u de opname? (optioneel)</translation>
    </message>
    <message>
        <source>card number, health detail, …</source>
        <translation>kaartnummer, medisch gegeven, …</translation>
    </message>
    <message>
        <source>Transfer to:</source>
        <translation>Doorverbinden naar:</translation>
    </message>
    <message>
        <source>number or SIP address</source>
        <translation>nummer of SIP-adres</translation>
    </message>
    <message>
        <source>Consult (the call is held meanwhile):</source>
        <translation>Ruggespraak (het gesprek staat zolang in de wacht):</translation>
    </message>
    <message>
        <source>Type a number or a SIP address.</source>
        <translation>Typ een nummer of een SIP-adres.</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Uit de wacht</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>In de wacht</translation>
    </message>
    <message>
        <source>Resume recording</source>
        <translation>Opname hervatten</translation>
    </message>
    <message>
        <source>Pause recording</source>
        <translation>Opname pauzeren</translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation>Microfoon aan</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Microfoon uit</translation>
    </message>
    <message>
        <source>Sends tones to the call</source>
        <translation>Stuurt tonen naar het gesprek</translation>
    </message>
    <message>
        <source>Types into the dial field</source>
        <translation>Typt in het kiesveld</translation>
    </message>
    <message>
        <source>Ctrl+0 … Ctrl+9, Ctrl+*, Ctrl+#</source>
        <translation>Ctrl+0 … Ctrl+9, Ctrl+*, Ctrl+#</translation>
    </message>
    <message>
        <source>Keypad: a tone during a call, else a digit in the dial field</source>
        <translation>Toetsenblok: een toon tijdens een gesprek, anders een cijfer in het kiesveld</translation>
    </message>
    <message>
        <source>Enter</source>
        <translation>Enter</translation>
    </message>
    <message>
        <source>In the dial field: call what is typed</source>
        <translation>In het kiesveld: bellen wat er getypt is</translation>
    </message>
    <message>
        <source>Calls in progress</source>
        <translation>Lopende gesprekken</translation>
    </message>
    <message numerus="yes">
        <source>%n call(s) in progress. Hang up and close the softphone?</source>
        <translation>
            <numerusform>Er loopt nog %n gesprek. Ophangen en de softphone sluiten?</numerusform>
            <numerusform>Er lopen nog %n gesprekken. Ophangen en de softphone sluiten?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PlayerPanel</name>
    <message>
        <source>Play</source>
        <translation>Afspelen</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Snelheid</translation>
    </message>
    <message>
        <source>Export to WAV…</source>
        <translation>Exporteren naar WAV…</translation>
    </message>
    <message>
        <source>Choose a recording in the list.</source>
        <translation>Kies een opname in de lijst.</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Dempen</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agent</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Klant</translation>
    </message>
    <message>
        <source>%1 volume</source>
        <translation>Volume %1</translation>
    </message>
    <message>
        <source>call time %1</source>
        <translation>gesprekstijd %1</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pauzeren</translation>
    </message>
</context>
<context>
    <name>PreferenceFields</name>
    <message>
        <source>the built-in policy</source>
        <translation>het ingebouwde beleid</translation>
    </message>
    <message>
        <source>policy %1</source>
        <translation>beleid %1</translation>
    </message>
    <message>
        <source>Locked by your administrator (%1).</source>
        <translation>Vergrendeld door uw beheerder (%1).</translation>
    </message>
    <message>
        <source>Locked</source>
        <translation>Vergrendeld</translation>
    </message>
</context>
<context>
    <name>QaWindow</name>
    <message>
        <source>Export to WAV</source>
        <translation>Exporteren naar WAV</translation>
    </message>
    <message>
        <source>WAV audio (*.wav)</source>
        <translation>WAV-audio (*.wav)</translation>
    </message>
    <message>
        <source>Softphone QA: recordings</source>
        <translation>Softphone QA: opnamen</translation>
    </message>
    <message>
        <source>The library index was damaged; it was moved to %1 and rebuilt.</source>
        <translation>De index van de bibliotheek was beschadigd; hij is verplaatst naar %1 en opnieuw opgebouwd.</translation>
    </message>
    <message>
        <source>The audio cannot be read: %1</source>
        <translation>De audio kan niet gelezen worden: %1</translation>
    </message>
    <message>
        <source>Intact: the audio matches its SHA-256 (metadata and audit trail).</source>
        <translation>Intact: de audio komt overeen met zijn SHA-256 (metadata en auditlog).</translation>
    </message>
    <message>
        <source>Sealed; decrypted in memory with your QA key.</source>
        <translation>Versleuteld; in het geheugen ontsleuteld met uw QA-sleutel.</translation>
    </message>
    <message>
        <source>Exported to %1</source>
        <translation>Geëxporteerd naar %1</translation>
    </message>
</context>
<context>
    <name>RecentNumbers</name>
    <message>
        <source>Recent numbers</source>
        <translation>Recente nummers</translation>
    </message>
    <message>
        <source>dialled</source>
        <translation>gebeld</translation>
    </message>
    <message>
        <source>received</source>
        <translation>ontvangen</translation>
    </message>
</context>
<context>
    <name>RecordingBadge</name>
    <message>
        <source>Disclosure progress</source>
        <translation>Voortgang van de opnamemelding</translation>
    </message>
    <message>
        <source>No call</source>
        <translation>Geen gesprek</translation>
    </message>
    <message>
        <source>Recording state: no call</source>
        <translation>Opnamestatus: geen gesprek</translation>
    </message>
    <message>
        <source>Recording state: %1</source>
        <translation>Opnamestatus: %1</translation>
    </message>
</context>
<context>
    <name>RecordingState</name>
    <message>
        <source>Recording</source>
        <translation>Opname loopt</translation>
    </message>
    <message>
        <source>Both sides are recorded.</source>
        <translation>Beide kanten worden opgenomen.</translation>
    </message>
    <message>
        <source>Not recorded</source>
        <translation>Geen opname</translation>
    </message>
    <message>
        <source>Not recording yet</source>
        <translation>Nog geen opname</translation>
    </message>
    <message>
        <source>The call is not answered yet.</source>
        <translation>Het gesprek is nog niet aangenomen.</translation>
    </message>
    <message>
        <source>Not recording: transferring</source>
        <translation>Geen opname: doorverbinden</translation>
    </message>
    <message>
        <source>The call is being handed on.</source>
        <translation>Het gesprek wordt doorverbonden.</translation>
    </message>
    <message>
        <source>Paused: on hold</source>
        <translation>Opname gepauzeerd: in de wacht</translation>
    </message>
    <message>
        <source>Paused for privacy</source>
        <translation>Opname gepauzeerd: privacy</translation>
    </message>
    <message>
        <source>Nothing is recorded until you resume the recording.</source>
        <translation>Er wordt niets opgenomen tot u de opname hervat.</translation>
    </message>
    <message>
        <source>Disclosure playing</source>
        <translation>Opnamemelding speelt</translation>
    </message>
    <message>
        <source>The customer hears the recording notice; recording starts after it.</source>
        <translation>De klant hoort de opnamemelding; daarna begint de opname.</translation>
    </message>
    <message>
        <source>Waiting for the call&apos;s audio to be confirmed.</source>
        <translation>Wachten tot het geluid van het gesprek bevestigd is.</translation>
    </message>
    <message>
        <source>The recording could not be written.</source>
        <translation>De opname kon niet worden weggeschreven.</translation>
    </message>
    <message>
        <source>The disclosure could not be played.</source>
        <translation>De opnamemelding kon niet worden afgespeeld.</translation>
    </message>
    <message>
        <source>Both sides hold the call; recording resumes when it is taken back.</source>
        <translation>Beide kanten hebben het gesprek in de wacht; de opname gaat verder zodra het wordt teruggenomen.</translation>
    </message>
    <message>
        <source>You hold the call; recording resumes when you take it back.</source>
        <translation>U hebt het gesprek in de wacht gezet; de opname gaat verder zodra u het terugneemt.</translation>
    </message>
    <message>
        <source>The customer&apos;s side holds the call; recording resumes when it comes back.</source>
        <translation>De klant heeft het gesprek in de wacht gezet; de opname gaat verder zodra de klant terug is.</translation>
    </message>
</context>
<context>
    <name>RingBanner</name>
    <message>
        <source>Incoming call from %1</source>
        <translation>Inkomend gesprek van %1</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Instellingen</translation>
    </message>
    <message>
        <source>Audio devices</source>
        <translation>Audioapparaten</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Microfoon</translation>
    </message>
    <message>
        <source>Headset or speaker</source>
        <translation>Headset of luidspreker</translation>
    </message>
    <message>
        <source>Ringer</source>
        <translation>Beltoon</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>Niveau</translation>
    </message>
    <message>
        <source>Preferences</source>
        <translation>Voorkeuren</translation>
    </message>
    <message>
        <source>As the system</source>
        <translation>Zoals het systeem</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Licht</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Donker</translation>
    </message>
    <message>
        <source>The policy&apos;s first account</source>
        <translation>Het eerste account van het beleid</translation>
    </message>
    <message>
        <source>Direct IP calls (the policy has no account)</source>
        <translation>Directe IP-gesprekken (het beleid heeft geen account)</translation>
    </message>
    <message>
        <source>Window language</source>
        <translation>Taal van het venster</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Thema</translation>
    </message>
    <message>
        <source>Account for calls</source>
        <translation>Account voor gesprekken</translation>
    </message>
    <message>
        <source>Disclosure language</source>
        <translation>Taal van de opnamemelding</translation>
    </message>
    <message>
        <source>Answering</source>
        <translation>Aannemen</translation>
    </message>
    <message>
        <source>Answer incoming calls at once (the disclosure still plays first)</source>
        <translation>Inkomende gesprekken meteen aannemen (de opnamemelding speelt altijd eerst)</translation>
    </message>
    <message>
        <source>Recordings folder</source>
        <translation>Map voor opnamen</translation>
    </message>
    <message>
        <source>A value with a padlock is set by your administrator.</source>
        <translation>Een waarde met een hangslot is ingesteld door uw beheerder.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Niet opgeslagen: %1</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
</context>
<context>
    <name>Waveform</name>
    <message>
        <source>Waveform of the agent and the customer</source>
        <translation>Golfvorm van de agent en de klant</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agent</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Klant</translation>
    </message>
    <message>
        <source>hold %1 s</source>
        <translation>wacht %1 s</translation>
    </message>
    <message>
        <source>pause %1 s</source>
        <translation>pauze %1 s</translation>
    </message>
    <message>
        <source>disclosure</source>
        <translation>opnamemelding</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>onderbroken</translation>
    </message>
</context>
<context>
    <name>WindowText</name>
    <message>
        <source>A call from %1 was turned away (%2 %3).</source>
        <translation>Een gesprek van %1 is niet doorgekomen (%2 %3).</translation>
    </message>
    <message>
        <source>The other side refused to resume (SIP %1 %2); nothing more is recorded.</source>
        <translation>De andere kant weigerde het terugnemen uit de wacht (SIP %1 %2); er wordt niets meer opgenomen.</translation>
    </message>
    <message>
        <source>The other side refused the hold (SIP %1 %2); the recording stays paused.</source>
        <translation>De andere kant weigerde de wachtstand (SIP %1 %2); de opname blijft gepauzeerd.</translation>
    </message>
    <message>
        <source>the new party</source>
        <translation>de nieuwe partij</translation>
    </message>
    <message>
        <source>The call went over to %1.</source>
        <translation>Het gesprek is doorverbonden naar %1.</translation>
    </message>
    <message>
        <source>The transfer to %1 did not work (%2); the call is yours again.</source>
        <translation>Doorverbinden naar %1 is mislukt (%2); u hebt het gesprek weer.</translation>
    </message>
    <message>
        <source>Whether the transfer to %1 worked is not known (%2).</source>
        <translation>Of het doorverbinden naar %1 gelukt is, is niet bekend (%2).</translation>
    </message>
</context>
<context>
    <name>window</name>
    <message>
        <source>That call was not recorded.</source>
        <translation>Dat gesprek is niet opgenomen.</translation>
    </message>
    <message>
        <source>The recording %1 is not there any more.</source>
        <translation>De opname %1 is er niet meer.</translation>
    </message>
    <message>
        <source>No program here opens recordings; it is %1</source>
        <translation>Geen programma hier opent opnamen; de opname staat in %1</translation>
    </message>
    <message>
        <source>Agent %1 · direct IP calls, reachable at %2</source>
        <translation>Agent %1 · directe IP-gesprekken, bereikbaar op %2</translation>
    </message>
    <message>
        <source>Press Enter to call the demo customer.</source>
        <translation>Druk op Enter om de demoklant te bellen.</translation>
    </message>
</context>
</TS>

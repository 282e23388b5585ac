<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>FolderScanner</name>
    <message numerus="yes">
        <source>%n photo(s) could not be read, so they have no blur score:</source>
        <translation>
            <numerusform>%n photo could not be read, so it has no blur score:</numerusform>
            <numerusform>%n photos could not be read, so they have no blur score:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more (Show Details…)</source>
        <translation>
            <numerusform>… and %n more (Show Details…)</numerusform>
            <numerusform>… and %n more (Show Details…)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n deblurred photo(s) not saved: {names}</source>
        <translation>
            <numerusform>%n deblurred photo is not saved: {names}</numerusform>
            <numerusform>%n deblurred photos are not saved: {names}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Photo</name>
    <message numerus="yes">
        <source>{seconds:.1f} s, {tiles} tile(s) × {passes} passes</source>
        <translation>
            <numerusform>{seconds:.1f} s, {tiles} tile × {passes} passes</numerusform>
            <numerusform>{seconds:.1f} s, {tiles} tiles × {passes} passes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{seconds:.1f} s, {tiles} tile(s)</source>
        <translation>
            <numerusform>{seconds:.1f} s, {tiles} tile</numerusform>
            <numerusform>{seconds:.1f} s, {tiles} tiles</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PhotoOpener</name>
    <message numerus="yes">
        <source>Could not open %n photo(s)</source>
        <translation>
            <numerusform>Could not open %n photo</numerusform>
            <numerusform>Could not open %n photos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more (Show Details…)</source>
        <translation>
            <numerusform>… and %n more (Show Details…)</numerusform>
            <numerusform>… and %n more (Show Details…)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) could not be opened:</source>
        <translation>
            <numerusform>%n photo could not be opened:</numerusform>
            <numerusform>%n photos could not be opened:</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PhotoSaver</name>
    <message numerus="yes">
        <source>%n file(s) already exist: {names}</source>
        <translation>
            <numerusform>%n file already exists: {names}</numerusform>
            <numerusform>%n files already exist: {names}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RunCommands</name>
    <message numerus="yes">
        <source>Preview of {name} in {seconds:.1f} s ({tiles} tile(s) on {device})</source>
        <translation>
            <numerusform>Preview of {name} in {seconds:.1f} s ({tiles} tile on {device})</numerusform>
            <numerusform>Preview of {name} in {seconds:.1f} s ({tiles} tiles on {device})</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deblurred {name} in {seconds:.1f} s ({tiles} tile(s) on {device})</source>
        <translation>
            <numerusform>Deblurred {name} in {seconds:.1f} s ({tiles} tile on {device})</numerusform>
            <numerusform>Deblurred {name} in {seconds:.1f} s ({tiles} tiles on {device})</numerusform>
        </translation>
    </message>
</context>
</TS>

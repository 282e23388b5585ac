<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>Trained by</source>
        <translation>训练者</translation>
    </message>
    <message>
        <source>Validation PSNR (dB)</source>
        <translation>验证集 PSNR (dB)</translation>
    </message>
    <message>
        <source>Blurred input PSNR (dB)</source>
        <translation>模糊输入 PSNR (dB)</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>许可证</translation>
    </message>
    <message>
        <source>Training steps</source>
        <translation>训练步数</translation>
    </message>
    <message>
        <source>Samples seen</source>
        <translation>已见样本数</translation>
    </message>
    <message>
        <source>Training hours</source>
        <translation>训练时长（小时）</translation>
    </message>
    <message>
        <source>Trained on</source>
        <translation>训练硬件</translation>
    </message>
    <message>
        <source>Identity PSNR (dB)</source>
        <translation>恒等映射 PSNR (dB)</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Crop (px)</source>
        <translation>裁剪尺寸 (px)</translation>
    </message>
    <message>
        <source>Made with deblur_app</source>
        <translation>制作工具 deblur_app</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Loaded weights</source>
        <translation>已加载的权重</translation>
    </message>
    <message>
        <source>Provenance</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Running on</source>
        <translation>运行于</translation>
    </message>
    <message>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>{devices}; Auto uses {auto}</source>
        <translation>{devices}；“自动”使用 {auto}</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>{version} on {system} {machine}</source>
        <translation>{version}，运行于 {system} {machine}</translation>
    </message>
    <message>
        <source>Removes camera shake and motion blur from photos with these networks:</source>
        <translation>使用以下网络去除照片中的相机抖动和运动模糊：</translation>
    </message>
    <message>
        <source>About Deblur</source>
        <translation>关于 Deblur</translation>
    </message>
</context>
<context>
    <name>BatchDialog</name>
    <message>
        <source>Batch Deblur</source>
        <translation>批量去模糊</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>The folder holding the photos to deblur</source>
        <translation>存放待去模糊照片的文件夹</translation>
    </message>
    <message>
        <source>Input folder:</source>
        <translation>输入文件夹：</translation>
    </message>
    <message>
        <source>Include sub-folders (the output mirrors the folder tree)</source>
        <translation>包括子文件夹（输出保持相同的文件夹结构）</translation>
    </message>
    <message>
        <source>Also deblur photos in folders inside the input folder</source>
        <translation>同时处理输入文件夹内各子文件夹中的照片</translation>
    </message>
    <message>
        <source>Where the deblurred photos and the log file are written</source>
        <translation>去模糊后的照片和日志文件的保存位置</translation>
    </message>
    <message>
        <source>Output folder:</source>
        <translation>输出文件夹：</translation>
    </message>
    <message>
        <source>Output file name: {stem} = name without extension, {ext} = extension (.jpg for formats that cannot be written), {name} = full name</source>
        <translation>输出文件名：{stem} = 不含扩展名的文件名，{ext} = 扩展名（无法写入的格式用 .jpg），{name} = 完整文件名</translation>
    </message>
    <message>
        <source>File names:</source>
        <translation>文件名：</translation>
    </message>
    <message>
        <source>The network; MIMO-UNet++ is the most accurate and the slowest</source>
        <translation>所用网络；MIMO-UNet++ 最准确，也最慢</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source> %</source>
        <translation> %</translation>
    </message>
    <message>
        <source>How much of the correction the saved photos keep; lower values blend towards the originals</source>
        <translation>保存的照片保留多少校正效果；数值越低，越接近原图</translation>
    </message>
    <message>
        <source>Strength:</source>
        <translation>强度：</translation>
    </message>
    <message>
        <source>Skip photos whose output already exists</source>
        <translation>跳过输出文件已存在的照片</translation>
    </message>
    <message>
        <source>Leave existing outputs alone (otherwise they are replaced; originals never are)</source>
        <translation>保留已存在的输出文件（否则将其替换；原图永远不会被替换）</translation>
    </message>
    <message>
        <source>Only the blurred photos (blur score from {score:.0f})</source>
        <translation>仅处理模糊的照片（模糊分数 {score:.0f} 及以上）</translation>
    </message>
    <message>
        <source>Score every photo for blur first and deblur only those at or above the score; sharp photos are skipped (File &gt; Scan Folder shows the scores)</source>
        <translation>先为每张照片评估模糊程度，只对达到该分数的照片去模糊；清晰的照片会被跳过（“文件 &gt; 扫描文件夹”可查看分数）</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Not started</source>
        <translation>尚未开始</translation>
    </message>
    <message>
        <source>The photo being deblurred now</source>
        <translation>正在去模糊的照片</translation>
    </message>
    <message>
        <source>This photo: %p%</source>
        <translation>当前照片：%p%</translation>
    </message>
    <message>
        <source>Progress on the current photo (tiles and ensemble passes)</source>
        <translation>当前照片的进度（图块和集成轮次）</translation>
    </message>
    <message>
        <source>%v of %m photos</source>
        <translation>%v / %m 张照片</translation>
    </message>
    <message>
        <source>Photos finished (done, skipped or failed) of all photos found</source>
        <translation>已处理（完成、跳过或失败）的照片数 / 找到的照片总数</translation>
    </message>
    <message>
        <source>Time left, estimated from the photos done so far</source>
        <translation>剩余时间，根据已完成的照片估算</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>File not deblurred</source>
        <translation>未去模糊的文件</translation>
    </message>
    <message>
        <source>Files that were not deblurred, with the reason: failed photos, and files left out (other formats, this app&apos;s own outputs)</source>
        <translation>未去模糊的文件及原因：失败的照片，以及略过的文件（其他格式、本程序自己的输出）</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Deblur every photo found in the input folder</source>
        <translation>对输入文件夹中找到的所有照片去模糊</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop after the current tile; finished photos are kept (Esc)</source>
        <translation>在当前图块完成后停止；已完成的照片会保留 (Esc)</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Close this dialog (a running batch keeps running)</source>
        <translation>关闭此对话框（正在运行的批处理会继续运行）</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose the folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Choose Folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>no weights installed</source>
        <translation>未安装权重</translation>
    </message>
    <message>
        <source>{name} ({variant} with ×{passes} ensemble, ≈{passes}× slower)</source>
        <translation>{name}（{variant} 加 ×{passes} 自集成，约慢 {passes} 倍）</translation>
    </message>
    <message>
        <source>Choose an input folder that exists.</source>
        <translation>请选择一个存在的输入文件夹。</translation>
    </message>
    <message>
        <source>Choose an output folder.</source>
        <translation>请选择输出文件夹。</translation>
    </message>
    <message>
        <source>File names: unknown placeholder {placeholder}; use {{stem}}, {{ext}} or {{name}}.</source>
        <translation>文件名：未知的占位符 {placeholder}；请使用 {{stem}}、{{ext}} 或 {{name}}。</translation>
    </message>
    <message>
        <source>File names: the template must give a plain file name.</source>
        <translation>文件名：模板必须生成一个单纯的文件名（不含路径）。</translation>
    </message>
    <message>
        <source>The outputs would replace the originals: change the folder or the file names.</source>
        <translation>输出文件会替换原图：请更改文件夹或文件名。</translation>
    </message>
    <message>
        <source>Looking for photos…</source>
        <translation>正在查找照片…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>No photos found</source>
        <translation>未找到照片</translation>
    </message>
    <message>
        <source>No photos found (try sub-folders)</source>
        <translation>未找到照片（可尝试包括子文件夹）</translation>
    </message>
    <message>
        <source>{number} of {total}: {name}</source>
        <translation>第 {number} / {total} 张：{name}</translation>
    </message>
    <message>
        <source>This photo: %p% · {elapsed}</source>
        <translation>当前照片：%p% · {elapsed}</translation>
    </message>
    <message>
        <source>Cancelled: {done} deblurred, {skipped} skipped, {failed} failed of {total} in {time}.</source>
        <translation>已取消：共 {total} 张，{done} 张已去模糊，{skipped} 张跳过，{failed} 张失败，用时 {time}。</translation>
    </message>
    <message>
        <source>Finished: {done} deblurred, {skipped} skipped, {failed} failed of {total} in {time}.</source>
        <translation>已完成：共 {total} 张，{done} 张已去模糊，{skipped} 张跳过，{failed} 张失败，用时 {time}。</translation>
    </message>
    <message>
        <source>Left out (not photos to deblur): {count}</source>
        <translation>已略过（不是要去模糊的照片）：{count}</translation>
    </message>
    <message>
        <source>Log: {path}</source>
        <translation>日志：{path}</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>The batch could not run: {reason}</source>
        <translation>批处理无法运行：{reason}</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Cancelled before the first photo.</source>
        <translation>在处理第一张照片之前已取消。</translation>
    </message>
</context>
<context>
    <name>BitDepth</name>
    <message>
        <source>{bits}-bit</source>
        <translation>{bits} 位</translation>
    </message>
</context>
<context>
    <name>CompareNetworks</name>
    <message>
        <source>Compare &amp;Networks…</source>
        <translation>比较网络(&amp;N)…</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Only one network is installed: get another one with File &gt; Weights… to compare them</source>
        <translation>只安装了一个网络：通过“文件 &gt; 权重…”再获取一个网络即可比较</translation>
    </message>
    <message>
        <source>Open a photo to compare networks on it</source>
        <translation>打开一张照片，在上面比较网络</translation>
    </message>
    <message>
        <source>A batch is running; wait for it or cancel it in the batch window</source>
        <translation>批处理正在运行；请等待完成，或在批处理窗口中取消</translation>
    </message>
    <message>
        <source>A run is under way; wait for it or cancel it</source>
        <translation>正在处理中；请等待完成或取消</translation>
    </message>
    <message>
        <source>Run two networks on this photo and see their results side by side, zoom and pan linked (Ctrl+Shift+C)</source>
        <translation>在这张照片上运行两个网络，并排查看结果，缩放和平移联动 (Ctrl+Shift+C)</translation>
    </message>
    <message>
        <source>Comparing {a} and {b} on {name}…</source>
        <translation>正在 {name} 上比较 {a} 和 {b}…</translation>
    </message>
    <message>
        <source>Kept from Compare: {seconds:.1f} s</source>
        <translation>比较中保留：{seconds:.1f} 秒</translation>
    </message>
    <message>
        <source>Kept {network}&apos;s result for {name}; Save writes it</source>
        <translation>已为 {name} 保留 {network} 的结果；“保存”将写入它</translation>
    </message>
    <message>
        <source>Compare Networks</source>
        <translation>比较网络</translation>
    </message>
    <message>
        <source>Compare Networks — {name}</source>
        <translation>比较网络 — {name}</translation>
    </message>
    <message>
        <source>{name}: {size}</source>
        <translation>{name}：{size}</translation>
    </message>
    <message>
        <source>shown at {percent:.0f} % strength</source>
        <translation>以 {percent:.0f} % 强度显示</translation>
    </message>
    <message>
        <source>{network} — {seconds:.1f} s</source>
        <translation>{network} — {seconds:.1f} 秒</translation>
    </message>
    <message>
        <source>Kept: Save writes {network}&apos;s result</source>
        <translation>已保留：“保存”将写入 {network} 的结果</translation>
    </message>
    <message>
        <source>Keep {network}&apos;s result</source>
        <translation>保留 {network} 的结果</translation>
    </message>
    <message>
        <source>Make this the photo&apos;s result and choose {network} in the side panel; Save then writes exactly this picture</source>
        <translation>将此结果作为照片的结果，并在侧栏中选择 {network}；之后“保存”写入的正是这张图</translation>
    </message>
    <message>
        <source>Original</source>
        <translation>原图</translation>
    </message>
    <message>
        <source>Keep this result</source>
        <translation>保留此结果</translation>
    </message>
    <message>
        <source>Compare first: a finished result can be kept</source>
        <translation>请先比较：完成的结果才能保留</translation>
    </message>
    <message>
        <source>{network}&apos;s result for this photo is ready: Compare shows it without running {network} again</source>
        <translation>这张照片已有 {network} 的结果：“比较”直接显示它，不再运行 {network}</translation>
    </message>
    <message>
        <source>Press Compare to run {network} on this photo</source>
        <translation>按“比较”在这张照片上运行 {network}</translation>
    </message>
    <message>
        <source>Running {network}: {progress}</source>
        <translation>正在运行 {network}：{progress}</translation>
    </message>
    <message>
        <source>Waiting: {network} runs when {first} is done</source>
        <translation>等待中：{first} 完成后运行 {network}</translation>
    </message>
    <message>
        <source>{network} failed: {reason}</source>
        <translation>{network} 失败：{reason}</translation>
    </message>
    <message>
        <source>Cancelled: no result from {network}</source>
        <translation>已取消：{network} 没有结果</translation>
    </message>
    <message>
        <source>Choose two different networks</source>
        <translation>请选择两个不同的网络</translation>
    </message>
    <message>
        <source>Run both networks on the whole photo, one after the other</source>
        <translation>在整张照片上依次运行两个网络</translation>
    </message>
    <message>
        <source>Comparing on {name}: {progress}</source>
        <translation>正在 {name} 上比较：{progress}</translation>
    </message>
    <message>
        <source>Choose two networks and press Compare</source>
        <translation>选择两个网络，然后按“比较”</translation>
    </message>
    <message>
        <source>Running {network} ({step} of 2): {progress}</source>
        <translation>正在运行 {network}（第 {step} 个，共 2 个）：{progress}</translation>
    </message>
    <message>
        <source>Both done. Zoom in to judge; keep the one you prefer</source>
        <translation>两个都已完成。放大后比较，保留你喜欢的那个</translation>
    </message>
    <message>
        <source>The comparison failed: {reason}</source>
        <translation>比较失败：{reason}</translation>
    </message>
    <message>
        <source>Cancelled; the photo keeps its result</source>
        <translation>已取消；照片保留原来的结果</translation>
    </message>
    <message>
        <source>Compared {a} ({ta}) and {b} ({tb}) on {name}</source>
        <translation>已在 {name} 上比较 {a}（{ta}）和 {b}（{tb}）</translation>
    </message>
</context>
<context>
    <name>ComparePane</name>
    <message>
        <source>The network of this side: installed networks only</source>
        <translation>这一侧的网络：仅列出已安装的网络</translation>
    </message>
    <message>
        <source>Keep this result</source>
        <translation>保留此结果</translation>
    </message>
    <message>
        <source>Network {side}:</source>
        <translation>网络 {side}：</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>Original</source>
        <translation>原图</translation>
    </message>
    <message>
        <source>Deblurred</source>
        <translation>去模糊后</translation>
    </message>
    <message>
        <source>The photo as opened. Wheel or Ctrl++/Ctrl+- to zoom, drag to pan</source>
        <translation>打开时的照片。滚轮或 Ctrl++/Ctrl+- 缩放，拖动平移</translation>
    </message>
    <message>
        <source>The deblurred result, linked to the original. Hold Space to see the original here</source>
        <translation>去模糊结果，与原图联动。按住空格键可在此处查看原图</translation>
    </message>
</context>
<context>
    <name>CompareWindow</name>
    <message>
        <source>Compare Networks</source>
        <translation>比较网络</translation>
    </message>
    <message>
        <source>Original</source>
        <translation>原图</translation>
    </message>
    <message>
        <source>Show the original in both panes (or hold Space over them)</source>
        <translation>在两侧都显示原图（或在图上按住空格键）</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适合窗口</translation>
    </message>
    <message>
        <source>Show the whole photo in both panes (Ctrl+0)</source>
        <translation>在两侧显示整张照片 (Ctrl+0)</translation>
    </message>
    <message>
        <source>100 %</source>
        <translation>100 %</translation>
    </message>
    <message>
        <source>One photo pixel per screen pixel in both panes (Ctrl+1); the wheel zooms, dragging pans, both panes together</source>
        <translation>两侧都以一个照片像素对应一个屏幕像素显示 (Ctrl+1)；滚轮缩放、拖动平移，两侧同步</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the comparison; the photo keeps its result</source>
        <translation>停止比较；照片保留原来的结果</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Zoom of both panes (100 % = one photo pixel per screen pixel)</source>
        <translation>两侧的缩放（100 % = 一个照片像素对应一个屏幕像素）</translation>
    </message>
    <message>
        <source>Fit ({percent:.0f} %)</source>
        <translation>适合窗口（{percent:.0f} %）</translation>
    </message>
    <message>
        <source>Zoom {percent:.0f} %</source>
        <translation>缩放 {percent:.0f} %</translation>
    </message>
</context>
<context>
    <name>DifferenceView</name>
    <message>
        <source>Change: |deblurred − original|</source>
        <translation>变化：|去模糊后 − 原图|</translation>
    </message>
    <message>
        <source>Bright = where the network changed the photo most; hold Space for the original</source>
        <translation>越亮 = 网络改动越大的地方；按住空格键查看原图</translation>
    </message>
    <message>
        <source>largest change {percent:.1f} %</source>
        <translation>最大变化 {percent:.1f} %</translation>
    </message>
</context>
<context>
    <name>EngineClient</name>
    <message>
        <source>Run waits for the int8 model (only the first time)…</source>
        <translation>等待 int8 模型后开始（仅首次）…</translation>
    </message>
    <message>
        <source>Making the int8 model (only the first time)…</source>
        <translation>正在生成 int8 模型（仅首次）…</translation>
    </message>
</context>
<context>
    <name>EngineWorker</name>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Loading {model} weights…</source>
        <translation>正在加载 {model} 权重…</translation>
    </message>
    <message>
        <source>{model} ready on {device}</source>
        <translation>{model} 已在 {device} 上就绪</translation>
    </message>
    <message>
        <source>The fast int8 model is ready (kept for next time)</source>
        <translation>快速 int8 模型已就绪（已保存，下次直接使用）</translation>
    </message>
    <message>
        <source>No fast int8 model for these weights: {reason}</source>
        <translation>无法为此权重生成快速 int8 模型：{reason}</translation>
    </message>
    <message>
        <source>unavailable ({error})</source>
        <translation>不可用（{error}）</translation>
    </message>
    <message>
        <source>Measured the fast paths with these weights: {verdicts}</source>
        <translation>此权重的快速路径测量结果：{verdicts}</translation>
    </message>
    <message>
        <source>Measuring whether {path} keeps the picture with these weights (once)…</source>
        <translation>正在测量 {path} 是否能保持此权重的画质（仅一次）…</translation>
    </message>
    <message>
        <source>Measuring {path} with these weights: photo {done} of {total}…</source>
        <translation>正在测量此权重的 {path}：第 {done} 张，共 {total} 张…</translation>
    </message>
    <message>
        <source>tile {tile} of {tiles}, pass {run} of {passes}</source>
        <translation>图块 {tile}/{tiles}，第 {run}/{passes} 轮</translation>
    </message>
    <message>
        <source>tile {tile} of {tiles}</source>
        <translation>图块 {tile}/{tiles}</translation>
    </message>
    <message>
        <source>Deblurring with {model}…</source>
        <translation>正在用 {model} 去模糊…</translation>
    </message>
    <message>
        <source>Previewing with {model}…</source>
        <translation>正在用 {model} 预览…</translation>
    </message>
    <message>
        <source>Batch cancelled</source>
        <translation>批处理已取消</translation>
    </message>
    <message>
        <source>Batch finished</source>
        <translation>批处理已完成</translation>
    </message>
</context>
<context>
    <name>FileTasks</name>
    <message>
        <source>not enough memory to open this photo</source>
        <translation>内存不足，无法打开这张照片</translation>
    </message>
</context>
<context>
    <name>Filmstrip</name>
    <message>
        <source>Opened photos: select one to show it (Alt+Up/Alt+Down)</source>
        <translation>已打开的照片：选择一张即可显示（Alt+Up/Alt+Down）</translation>
    </message>
    <message>
        <source>Deblurred, not saved</source>
        <translation>已去模糊，未保存</translation>
    </message>
    <message>
        <source>Saved to {path}</source>
        <translation>已保存到 {path}</translation>
    </message>
    <message>
        <source>Preview only</source>
        <translation>仅预览</translation>
    </message>
</context>
<context>
    <name>FolderScanner</name>
    <message numerus="yes">
        <source>%n photo(s) could not be read, so they have no blur score:</source>
        <translation>
            <numerusform>%n 张照片无法读取，因此没有模糊分数：</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more (Show Details…)</source>
        <translation>
            <numerusform>……另有 %n 张（见“显示详情…”）</numerusform>
        </translation>
    </message>
    <message>
        <source>Unreadable Photos</source>
        <translation>无法读取的照片</translation>
    </message>
</context>
<context>
    <name>ImageView</name>
    <message>
        <source>Original (Space)</source>
        <extracomment>Zoom In/Out and the wheel step along these percentages of actual pixels, so 50, 100, 200 and 400 % are reached exactly (a constant factor such as 1.25 never lands on them again after a Fit).</extracomment>
        <translation>原图（空格键）</translation>
    </message>
</context>
<context>
    <name>LanguageMenu</name>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Follow the language of the system</source>
        <translation>使用系统的语言</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Original and result next to each other, zoom and pan linked</source>
        <translation>原图与结果并排显示，缩放和平移联动</translation>
    </message>
    <message>
        <source>One image with a draggable divider: original left, result right</source>
        <translation>单张图像加可拖动的分隔线：左侧为原图，右侧为结果</translation>
    </message>
    <message>
        <source>The network&apos;s ¼, ½ and full outputs under the input reduced the same way</source>
        <translation>网络的 ¼、½ 和原尺寸输出，上方为以相同方式缩小的输入</translation>
    </message>
    <message>
        <source>Heatmap of where the network changed the photo</source>
        <translation>显示网络改动照片位置的热图</translation>
    </message>
    <message>
        <source>{tip} ({shortcut})</source>
        <translation>{tip}（{shortcut}）</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <source>Open one or more photos</source>
        <translation>打开一张或多张照片</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save the deblurred photo as {name}_deblurred beside the original</source>
        <translation>将去模糊后的照片以 {name}_deblurred 为名保存在原图旁边</translation>
    </message>
    <message>
        <source>Save &amp;As…</source>
        <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>Save the deblurred photo with a chosen name, format and quality</source>
        <translation>以选定的文件名、格式和质量保存去模糊后的照片</translation>
    </message>
    <message>
        <source>Save A&amp;ll</source>
        <translation>全部保存(&amp;L)</translation>
    </message>
    <message>
        <source>Save every deblurred photo not saved yet, each beside its original</source>
        <translation>保存所有尚未保存的去模糊照片，各自保存在原图旁边</translation>
    </message>
    <message>
        <source>&amp;Batch…</source>
        <translation>批量处理(&amp;B)…</translation>
    </message>
    <message>
        <source>Deblur every photo in a folder</source>
        <translation>对文件夹中的所有照片去模糊</translation>
    </message>
    <message>
        <source>&amp;Close Photo</source>
        <translation>关闭照片(&amp;C)</translation>
    </message>
    <message>
        <source>Remove the selected photo from the list</source>
        <translation>从列表中移除所选照片</translation>
    </message>
    <message>
        <source>Clear Recent</source>
        <translation>清除最近打开的照片</translation>
    </message>
    <message>
        <source>Forget the recent photos</source>
        <translation>忘记最近打开的照片</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Close the window</source>
        <translation>关闭窗口</translation>
    </message>
    <message>
        <source>&amp;Deblur</source>
        <translation>去模糊(&amp;D)</translation>
    </message>
    <message>
        <source>Deblur the whole photo</source>
        <translation>对整张照片去模糊</translation>
    </message>
    <message>
        <source>&amp;Preview Visible Area</source>
        <translation>预览可见区域(&amp;P)</translation>
    </message>
    <message>
        <source>Deblur only the area in view at 100 %, to judge the effect in seconds</source>
        <translation>只按 100 % 处理视图中可见的区域，几秒内即可判断效果</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Stop the run; the previous result stays</source>
        <translation>停止运行；保留之前的结果</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>放大(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>缩小(&amp;O)</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>&amp;Fit to Window</source>
        <translation>适合窗口(&amp;F)</translation>
    </message>
    <message>
        <source>Show the whole photo</source>
        <translation>显示整张照片</translation>
    </message>
    <message>
        <source>&amp;Actual Pixels (100 %)</source>
        <translation>实际像素 (100 %)(&amp;A)</translation>
    </message>
    <message>
        <source>One photo pixel per screen pixel</source>
        <translation>一个照片像素对应一个屏幕像素</translation>
    </message>
    <message>
        <source>Show &amp;Original</source>
        <translation>显示原图(&amp;O)</translation>
    </message>
    <message>
        <source>Show the original in every view; hold Space to peek</source>
        <translation>在所有视图中显示原图；按住空格键可临时查看</translation>
    </message>
    <message>
        <source>&amp;Next Photo</source>
        <translation>下一张照片(&amp;N)</translation>
    </message>
    <message>
        <source>Show the next photo in the list</source>
        <translation>显示列表中的下一张照片</translation>
    </message>
    <message>
        <source>P&amp;revious Photo</source>
        <translation>上一张照片(&amp;R)</translation>
    </message>
    <message>
        <source>Show the previous photo in the list</source>
        <translation>显示列表中的上一张照片</translation>
    </message>
    <message>
        <source>&amp;Weights…</source>
        <translation>权重(&amp;W)…</translation>
    </message>
    <message>
        <source>Download the paper&apos;s weights; install or remove weights files</source>
        <translation>下载论文权重；安装或移除权重文件</translation>
    </message>
    <message>
        <source>&amp;About Deblur</source>
        <translation>关于 Deblur(&amp;A)</translation>
    </message>
    <message>
        <source>Version, weights, devices</source>
        <translation>版本、权重、设备</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>关于 &amp;Qt</translation>
    </message>
    <message>
        <source>The Qt version in use</source>
        <translation>所用的 Qt 版本</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>More tools</source>
        <translation>更多工具</translation>
    </message>
    <message>
        <source>The new language is used from the next start</source>
        <translation>新的语言将在下次启动时生效</translation>
    </message>
    <message>
        <source>&amp;Process</source>
        <translation>处理(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>No recent photos</source>
        <translation>没有最近打开的照片</translation>
    </message>
    <message>
        <source>{network} returns only the full-size image: it has no ¼ and ½ outputs to show</source>
        <translation>{network} 只输出原尺寸图像：没有可显示的 ¼ 和 ½ 尺度输出</translation>
    </message>
    <message>
        <source>{count} more</source>
        <translation>另外 {count} 张</translation>
    </message>
    <message>
        <source>Starting the engine…</source>
        <translation>正在启动引擎…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop at the next tile; the previous result stays (Esc)</source>
        <translation>在下一个图块处停止；保留之前的结果 (Esc)</translation>
    </message>
    <message>
        <source>Deblur</source>
        <translation>去模糊</translation>
    </message>
    <message>
        <source>A batch is running; wait for it or cancel it in the batch window</source>
        <translation>批处理正在运行；请等待其完成，或在批量处理窗口中取消</translation>
    </message>
    <message>
        <source>Two networks are being compared; wait for them or cancel in the Compare window</source>
        <translation>正在比较两个网络；请等待完成，或在“比较网络”窗口中取消</translation>
    </message>
    <message>
        <source>No model weights installed: see the note below</source>
        <translation>未安装模型权重：请看下方的说明</translation>
    </message>
    <message>
        <source>Deblur the whole photo (Ctrl+R)</source>
        <translation>对整张照片去模糊 (Ctrl+R)</translation>
    </message>
    <message>
        <source>Not deblurred yet: another photo is being deblurred; Deblur (Ctrl+R) is available when that run ends or is cancelled (Esc)</source>
        <translation>尚未去模糊：另一张照片正在去模糊；该运行结束或取消 (Esc) 后即可使用“去模糊”(Ctrl+R)</translation>
    </message>
    <message>
        <source>Not deblurred yet: two networks are being compared; Deblur is available when they finish</source>
        <translation>尚未去模糊：正在比较两个网络；比较完成后即可使用“去模糊”</translation>
    </message>
    <message>
        <source>Not deblurred yet: a batch is running; Deblur is available when it ends</source>
        <translation>尚未去模糊：批处理正在运行；结束后即可使用“去模糊”</translation>
    </message>
    <message>
        <source>Not deblurred yet: no model weights installed</source>
        <translation>尚未去模糊：未安装模型权重</translation>
    </message>
    <message>
        <source>Not deblurred yet</source>
        <translation>尚未去模糊</translation>
    </message>
    <message>
        <source>Batch Running</source>
        <translation>批处理正在运行</translation>
    </message>
    <message>
        <source>A batch is deblurring photos. Quitting stops it; the photos it has written are kept, and running it again with “Skip photos whose output already exists” goes on from there.</source>
        <translation>批处理正在去模糊照片。退出会停止批处理；已写入的照片会保留，勾选“跳过输出文件已存在的照片”再次运行即可从中断处继续。</translation>
    </message>
    <message>
        <source>Stop the Batch and Quit</source>
        <translation>停止批处理并退出</translation>
    </message>
    <message>
        <source>Run Under Way</source>
        <translation>正在运行</translation>
    </message>
    <message>
        <source>{name} is being deblurred. Quitting cancels the run, and what it has done is lost.</source>
        <translation>正在对 {name} 去模糊。退出会取消本次运行，已完成的部分将丢失。</translation>
    </message>
    <message>
        <source>Cancel the Run and Quit</source>
        <translation>取消运行并退出</translation>
    </message>
    <message>
        <source>Opening {name}…</source>
        <translation>正在打开 {name}…</translation>
    </message>
    <message>
        <source>No result yet</source>
        <translation>尚无结果</translation>
    </message>
    <message>
        <source>Previewing {name} with {model}…</source>
        <translation>正在用 {model} 预览 {name}…</translation>
    </message>
    <message>
        <source>Deblurring {name} with {model}…</source>
        <translation>正在用 {model} 对 {name} 去模糊…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Settings changed: restarting…</source>
        <translation>设置已更改：正在重新开始…</translation>
    </message>
    <message>
        <source>Showing {percent:.0f} % of the correction</source>
        <translation>显示 {percent:.0f} % 的校正效果</translation>
    </message>
    <message>
        <source>Deblurring: {progress}</source>
        <translation>正在去模糊：{progress}</translation>
    </message>
    <message>
        <source>Deblurring failed</source>
        <translation>去模糊失败</translation>
    </message>
    <message>
        <source>Deblurring Failed</source>
        <translation>去模糊失败</translation>
    </message>
    <message>
        <source>Cancelled; the previous result is kept</source>
        <translation>已取消；保留之前的结果</translation>
    </message>
    <message>
        <source>Cancelled; no result yet</source>
        <translation>已取消；尚无结果</translation>
    </message>
    <message>
        <source>Device: {device}</source>
        <translation>设备：{device}</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>No model weights installed</source>
        <translation>未安装模型权重</translation>
    </message>
    <message>
        <source>Device: {device} ({precision})</source>
        <translation>设备：{device} ({precision})</translation>
    </message>
    <message>
        <source>Runs in {precision} because {reason}</source>
        <translation>以 {precision} 运行，原因：{reason}</translation>
    </message>
    <message>
        <source>Cannot Save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <source>Replace Files?</source>
        <translation>替换文件？</translation>
    </message>
    <message>
        <source>Replace</source>
        <translation>替换</translation>
    </message>
    <message>
        <source>Saving {name}…</source>
        <translation>正在保存 {name}…</translation>
    </message>
    <message>
        <source>Saving failed</source>
        <translation>保存失败</translation>
    </message>
    <message>
        <source>Saved {names}</source>
        <translation>已保存 {names}</translation>
    </message>
    <message numerus="yes">
        <source>%n deblurred photo(s) not saved: {names}</source>
        <translation>
            <numerusform>%n 张去模糊后的照片尚未保存：{names}</numerusform>
        </translation>
    </message>
    <message>
        <source>Quitting also cancels the run under way on {name}.</source>
        <translation>退出还会取消正在对 {name} 进行的运行。</translation>
    </message>
    <message>
        <source>Unsaved Results</source>
        <translation>未保存的结果</translation>
    </message>
    <message>
        <source>Save All and Quit</source>
        <translation>全部保存并退出</translation>
    </message>
    <message>
        <source>Quit Without Saving</source>
        <translation>退出且不保存</translation>
    </message>
    <message>
        <source>Save All writes each beside its original, as Save (Ctrl+S) does.</source>
        <translation>“全部保存”会像“保存”(Ctrl+S) 一样，把每张照片保存在其原图旁边。</translation>
    </message>
    <message>
        <source>Photos ({patterns})</source>
        <translation>照片 ({patterns})</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>Open Photos</source>
        <translation>打开照片</translation>
    </message>
    <message>
        <source>Could not open {name}</source>
        <translation>无法打开 {name}</translation>
    </message>
    <message>
        <source>Cannot Open Photo</source>
        <translation>无法打开照片</translation>
    </message>
    <message>
        <source>Opened {name}</source>
        <translation>已打开 {name}</translation>
    </message>
    <message>
        <source>Opened {name} ({megapixels:.0f} MP on the CPU: try Preview, Ctrl+Shift+R, to judge the effect in seconds)</source>
        <translation>已打开 {name}（{megapixels:.0f} MP，在 CPU 上运行：可先用预览 (Ctrl+Shift+R) 在几秒内判断效果）</translation>
    </message>
    <message>
        <source>Close Photo</source>
        <translation>关闭照片</translation>
    </message>
    <message>
        <source>The deblurred {name} is not saved.</source>
        <translation>去模糊后的 {name} 尚未保存。</translation>
    </message>
    <message>
        <source>Close Without Saving</source>
        <translation>关闭且不保存</translation>
    </message>
    <message>
        <source>sharp</source>
        <translation>清晰</translation>
    </message>
    <message>
        <source>slightly blurred</source>
        <translation>轻微模糊</translation>
    </message>
    <message>
        <source>blurred</source>
        <translation>模糊</translation>
    </message>
    <message>
        <source>Sca&amp;n Folder…</source>
        <translation>扫描文件夹(&amp;N)…</translation>
    </message>
    <message>
        <source>Score every photo of a folder for blur and list them with a blur badge</source>
        <translation>评估文件夹中每张照片的模糊程度，并以模糊标记列出</translation>
    </message>
    <message>
        <source>Sort by &amp;Blur</source>
        <translation>按模糊程度排序(&amp;B)</translation>
    </message>
    <message>
        <source>Blurriest photos first</source>
        <translation>最模糊的照片排在最前</translation>
    </message>
    <message>
        <source>Show Only B&amp;lurred</source>
        <translation>只显示模糊的照片(&amp;L)</translation>
    </message>
    <message>
        <source>Hide the photos the scan found sharp</source>
        <translation>隐藏扫描判定为清晰的照片</translation>
    </message>
    <message>
        <source>Select Bl&amp;urred</source>
        <translation>选择模糊的照片(&amp;U)</translation>
    </message>
    <message>
        <source>Select every photo the scan found blurred</source>
        <translation>选择扫描判定为模糊的所有照片</translation>
    </message>
    <message>
        <source>Batch the Blurred…</source>
        <translation>批量处理模糊的照片…</translation>
    </message>
    <message>
        <source>Deblur the scanned folder&apos;s blurred photos in a batch</source>
        <translation>批量为已扫描文件夹中模糊的照片去模糊</translation>
    </message>
    <message>
        <source>&amp;Blur</source>
        <translation>模糊(&amp;B)</translation>
    </message>
    <message>
        <source>Scan Folder</source>
        <translation>扫描文件夹</translation>
    </message>
    <message>
        <source>Looking for photos…</source>
        <translation>正在查找照片…</translation>
    </message>
    <message>
        <source>Scanning {total} photos for blur…</source>
        <translation>正在扫描 {total} 张照片的模糊程度…</translation>
    </message>
    <message>
        <source>{path}
Blur score {score:.0f} of 100: {verdict}</source>
        <translation>{path}
模糊分数 {score:.0f}（满分 100）：{verdict}</translation>
    </message>
    <message>
        <source>Scanned {count} photos: {sharp} sharp, {slight} slightly blurred, {blurred} blurred, {failed} unreadable</source>
        <translation>已扫描 {count} 张照片：{sharp} 张清晰，{slight} 张轻微模糊，{blurred} 张模糊，{failed} 张无法读取</translation>
    </message>
    <message>
        <source>Scan cancelled.</source>
        <translation>扫描已取消。</translation>
    </message>
</context>
<context>
    <name>Networks</name>
    <message>
        <source>camera shake and motion blur; fast</source>
        <translation>相机抖动和运动模糊；快速</translation>
    </message>
    <message>
        <source>camera shake and motion blur; larger, slower and a little sharper than MIMO-UNet</source>
        <translation>相机抖动和运动模糊；比 MIMO-UNet 更大、更慢，也更清晰一些</translation>
    </message>
    <message>
        <source>camera shake and motion blur; sharper than MIMO-UNet+ at MIMO-UNet&apos;s cost</source>
        <translation>相机抖动和运动模糊；比 MIMO-UNet+ 更清晰，计算量与 MIMO-UNet 相当</translation>
    </message>
    <message>
        <source>camera shake and motion blur; a quarter of NAFNet-64&apos;s work</source>
        <translation>相机抖动和运动模糊；计算量为 NAFNet-64 的四分之一</translation>
    </message>
    <message>
        <source>motion blur in compressed video frames (blur with JPEG artefacts)</source>
        <translation>压缩视频帧中的运动模糊（带 JPEG 压缩痕迹的模糊）</translation>
    </message>
    <message>
        <source>camera shake and motion blur; best quality on GoPro, much slower</source>
        <translation>相机抖动和运动模糊；在 GoPro 上质量最好，但慢得多</translation>
    </message>
    <message>
        <source>real camera shake in photos (trained on RealBlur-J); much slower</source>
        <translation>照片中真实的相机抖动（在 RealBlur-J 上训练）；慢得多</translation>
    </message>
    <message>
        <source>photos out of focus (single-image defocus deblurring); slow; non-commercial use only</source>
        <translation>失焦的照片（单图像散焦去模糊）；较慢；仅限非商业用途</translation>
    </message>
    <message>
        <source>camera shake and motion blur; slow; non-commercial use only</source>
        <translation>相机抖动和运动模糊；较慢；仅限非商业用途</translation>
    </message>
    <message>
        <source>the authors&apos; release for research use (MIT-licensed repository github.com/chosj95/MIMO-UNet)</source>
        <translation>作者为研究用途发布（MIT 许可的仓库 github.com/chosj95/MIMO-UNet）</translation>
    </message>
    <message>
        <source>MIT licence (github.com/megvii-research/NAFNet), weights released with the code</source>
        <translation>MIT 许可（github.com/megvii-research/NAFNet），权重随代码一同发布</translation>
    </message>
    <message>
        <source>no licence stated by the authors (github.com/kkkls/FFTformer has no licence file); shared by them for research</source>
        <translation>作者未声明许可（github.com/kkkls/FFTformer 没有许可文件）；由作者为研究用途分享</translation>
    </message>
    <message>
        <source>non-commercial and personal use only (Restormer&apos;s Academic Public License, github.com/swz30/Restormer/blob/main/LICENSE.md); commercial use needs the authors&apos; permission</source>
        <translation>仅限非商业和个人用途（Restormer 的 Academic Public License，github.com/swz30/Restormer/blob/main/LICENSE.md）；商业用途须经作者许可</translation>
    </message>
    <message>
        <source>REDS (blur + JPEG)</source>
        <translation>REDS（模糊 + JPEG）</translation>
    </message>
    <message>
        <source>RealBlur-J (real camera shake, beam-splitter rig)</source>
        <translation>RealBlur-J（真实相机抖动，分光镜装置拍摄）</translation>
    </message>
    <message>
        <source>DPDD (Canon photos out of focus, single image)</source>
        <translation>DPDD（佳能相机拍摄的失焦照片，单张图像）</translation>
    </message>
    <message>
        <source>not in the authors&apos; README</source>
        <translation>作者的 README 中未给出</translation>
    </message>
    <message>
        <source>GoPro 34.21 dB (paper)</source>
        <translation>GoPro 34.21 dB（论文）</translation>
    </message>
    <message>
        <source>GoPro 32.92 dB (paper Table 2)</source>
        <translation>GoPro 32.92 dB（论文表 2）</translation>
    </message>
    <message>
        <source>DPDD 25.98 dB (single image, indoor and outdoor; paper Table 3)</source>
        <translation>DPDD 25.98 dB（单张图像，室内和室外；论文表 3）</translation>
    </message>
    <message>
        <source>real camera shake (RealBlur)</source>
        <translation>真实相机抖动（RealBlur）</translation>
    </message>
    <message>
        <source>motion blur in video frames (REDS)</source>
        <translation>视频帧中的运动模糊（REDS）</translation>
    </message>
    <message>
        <source>out of focus</source>
        <translation>失焦</translation>
    </message>
    <message>
        <source>camera shake (GoPro)</source>
        <translation>相机抖动（GoPro）</translation>
    </message>
    <message>
        <source>{purpose}. Blur: {blur}</source>
        <translation>{purpose}。模糊类型：{blur}</translation>
    </message>
    <message>
        <source>Long run: about {time} for this photo on this computer&apos;s CPU</source>
        <translation>耗时较长：在这台电脑的 CPU 上处理这张照片约需 {time}</translation>
    </message>
    <message>
        <source>Slow network: about {time} for this photo on this computer&apos;s CPU</source>
        <translation>较慢的网络：在这台电脑的 CPU 上处理这张照片约需 {time}</translation>
    </message>
</context>
<context>
    <name>Photo</name>
    <message>
        <source>{width} × {height} ({depth})</source>
        <translation>{width} × {height}（{depth}）</translation>
    </message>
    <message>
        <source>{width} × {height} ({megapixels:.1f} MP, {depth})</source>
        <translation>{width} × {height}（{megapixels:.1f} MP，{depth}）</translation>
    </message>
    <message>
        <source>No result yet</source>
        <translation>尚无结果</translation>
    </message>
    <message>
        <source>Preview of the visible area: {width} × {height}</source>
        <translation>可见区域的预览：{width} × {height}</translation>
    </message>
    <message>
        <source>Whole photo: {width} × {height}</source>
        <translation>整张照片：{width} × {height}</translation>
    </message>
    <message numerus="yes">
        <source>{seconds:.1f} s, {tiles} tile(s) × {passes} passes</source>
        <translation>
            <numerusform>{seconds:.1f} 秒，{tiles} 个图块 × {passes} 轮</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{seconds:.1f} s, {tiles} tile(s)</source>
        <translation>
            <numerusform>{seconds:.1f} 秒，{tiles} 个图块</numerusform>
        </translation>
    </message>
    <message>
        <source>{model} on {device} ({precision}{backend})</source>
        <translation>{model}，{device}（{precision}{backend}）</translation>
    </message>
    <message>
        <source>Largest change {percent:.1f} %</source>
        <translation>最大变化 {percent:.1f} %</translation>
    </message>
    <message>
        <source>Showing {percent:.0f} % of the correction</source>
        <translation>显示 {percent:.0f} % 的校正</translation>
    </message>
    <message>
        <source>Not saved yet</source>
        <translation>尚未保存</translation>
    </message>
    <message>
        <source>Saved to {name} at {percent:.0f} %; not saved at this strength</source>
        <translation>已以 {percent:.0f} % 保存到 {name}；当前强度尚未保存</translation>
    </message>
    <message>
        <source>Saved to {name}</source>
        <translation>已保存到 {name}</translation>
    </message>
</context>
<context>
    <name>PhotoOpener</name>
    <message numerus="yes">
        <source>Could not open %n photo(s)</source>
        <translation>
            <numerusform>无法打开 %n 张照片</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more (Show Details…)</source>
        <translation>
            <numerusform>……另有 %n 张（见“显示详情…”）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) could not be opened:</source>
        <translation>
            <numerusform>%n 张照片无法打开：</numerusform>
        </translation>
    </message>
    <message>
        <source>Cannot Open Photos</source>
        <translation>无法打开照片</translation>
    </message>
</context>
<context>
    <name>PhotoSaver</name>
    <message numerus="yes">
        <source>%n file(s) already exist: {names}</source>
        <translation>
            <numerusform>%n 个文件已存在：{names}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>Reason</name>
    <message>
        <source>is a folder, not an image file</source>
        <translation>是文件夹，不是图像文件</translation>
    </message>
    <message>
        <source>file not found</source>
        <translation>找不到文件</translation>
    </message>
    <message>
        <source>permission denied (cannot read the file)</source>
        <translation>权限不足（无法读取该文件）</translation>
    </message>
    <message>
        <source>cannot read the file ({cause})</source>
        <translation>无法读取该文件（{cause}）</translation>
    </message>
    <message>
        <source>file is empty (0 bytes)</source>
        <translation>文件为空（0 字节）</translation>
    </message>
    <message>
        <source>file is truncated or damaged ({cause})</source>
        <translation>文件不完整或已损坏（{cause}）</translation>
    </message>
    <message>
        <source>corrupt or unreadable image ({cause})</source>
        <translation>图像损坏或无法读取（{cause}）</translation>
    </message>
    <message>
        <source>not an image file, or an unsupported format</source>
        <translation>不是图像文件，或格式不受支持</translation>
    </message>
    <message>
        <source>HEIC/HEIF photos need the optional package pillow-heif (pip install pillow-heif)</source>
        <translation>HEIC/HEIF 照片需要可选软件包 pillow-heif（pip install pillow-heif）</translation>
    </message>
    <message>
        <source>unsupported image format {format} (use JPEG, PNG, TIFF, WebP, BMP or HEIC)</source>
        <translation>不支持的图像格式 {format}（请使用 JPEG、PNG、TIFF、WebP、BMP 或 HEIC）</translation>
    </message>
    <message>
        <source>{megapixels} megapixels exceeds the limit of {limit} megapixels (set --max-megapixels to raise it)</source>
        <translation>{megapixels} 百万像素超过了 {limit} 百万像素的上限（可用 --max-megapixels 提高上限）</translation>
    </message>
    <message>
        <source>a multi-page TIFF</source>
        <translation>多页 TIFF</translation>
    </message>
    <message>
        <source>an animated GIF</source>
        <translation>动态 GIF</translation>
    </message>
    <message>
        <source>an animated WebP</source>
        <translation>动态 WebP</translation>
    </message>
    <message>
        <source>an animated PNG</source>
        <translation>动态 PNG</translation>
    </message>
    <message>
        <source>a {format} file</source>
        <translation>{format} 文件</translation>
    </message>
    <message>
        <source>pages</source>
        <translation>页</translation>
    </message>
    <message>
        <source>page</source>
        <translation>页</translation>
    </message>
    <message>
        <source>frames</source>
        <translation>帧</translation>
    </message>
    <message>
        <source>frame</source>
        <translation>帧</translation>
    </message>
    <message>
        <source>{bits}-bit floating-point pixels (only 8- and 16-bit images)</source>
        <translation>{bits} 位浮点像素（仅支持 8 位和 16 位图像）</translation>
    </message>
    <message>
        <source>{bits}-bit integer pixels (only 8- and 16-bit images)</source>
        <translation>{bits} 位整数像素（仅支持 8 位和 16 位图像）</translation>
    </message>
    <message>
        <source>{kind} ({count} {unit}); only single-picture files are deblurred: save the {one} you want as its own file</source>
        <translation>{kind}（{count} {unit}）；只对单张图片的文件去模糊：请把需要的那一{one}另存为单独的文件</translation>
    </message>
    <message>
        <source>permission denied (cannot write in folder {folder})</source>
        <translation>权限不足（无法写入文件夹 {folder}）</translation>
    </message>
    <message>
        <source>cannot create the file ({cause})</source>
        <translation>无法创建该文件（{cause}）</translation>
    </message>
    <message>
        <source>already exists (not overwriting it)</source>
        <translation>已存在（不会覆盖）</translation>
    </message>
    <message>
        <source>could not write the image ({cause})</source>
        <translation>无法写入图像（{cause}）</translation>
    </message>
    <message>
        <source>is a folder; give a file name to save to</source>
        <translation>是文件夹；请给出要保存的文件名</translation>
    </message>
    <message>
        <source>folder {folder} does not exist</source>
        <translation>文件夹 {folder} 不存在</translation>
    </message>
    <message>
        <source>refusing to overwrite the input file (enable overwrite to replace it)</source>
        <translation>拒绝覆盖输入文件（启用覆盖才能替换它）</translation>
    </message>
    <message>
        <source>HEIC/HEIF files cannot be written; save as .jpg, .png or .tif instead</source>
        <translation>无法写入 HEIC/HEIF 文件；请改存为 .jpg、.png 或 .tif</translation>
    </message>
    <message>
        <source>camera RAW files are never written; save as .tif (16-bit), .png or .jpg instead</source>
        <translation>从不写入相机 RAW 文件；请改存为 .tif（16 位）、.png 或 .jpg</translation>
    </message>
    <message>
        <source>cannot write &apos;{suffix}&apos; files; use one of {extensions}</source>
        <translation>无法写入“{suffix}”文件；请使用 {extensions} 之一</translation>
    </message>
    <message>
        <source>no file extension; use one of {extensions}</source>
        <translation>没有文件扩展名；请使用 {extensions} 之一</translation>
    </message>
    <message>
        <source>is a file, not a folder for the outputs</source>
        <translation>是文件，不是存放输出的文件夹</translation>
    </message>
    <message>
        <source>cannot create the output folder ({cause})</source>
        <translation>无法创建输出文件夹（{cause}）</translation>
    </message>
    <message>
        <source>not a folder</source>
        <translation>不是文件夹</translation>
    </message>
    <message>
        <source>16-bit output needs PNG or TIFF, not {format}</source>
        <translation>16 位输出需要 PNG 或 TIFF，而不是 {format}</translation>
    </message>
    <message>
        <source>is a device, pipe or socket, not an image file</source>
        <translation>是设备、管道或套接字，不是图像文件</translation>
    </message>
    <message>
        <source>is a symbolic link loop (it leads back to itself, never to a file)</source>
        <translation>是循环的符号链接（指回自身，从不指向文件）</translation>
    </message>
    <message>
        <source>file is truncated (its JPEG data stops before the end-of-image marker)</source>
        <translation>文件不完整（JPEG 数据在结束标记之前中断）</translation>
    </message>
    <message>
        <source>file is truncated (its JPEG data stops before the picture does; an end-of-image marker follows the cut)</source>
        <translation>文件不完整（JPEG 数据在图像结束之前中断；中断处之后被接上了结束标记）</translation>
    </message>
    <message>
        <source>file is truncated (its later JPEG scans, with the fine detail, are missing)</source>
        <translation>文件不完整（JPEG 后面包含精细细节的扫描缺失）</translation>
    </message>
    <message>
        <source>file is truncated (its PNG data stops before the end chunk IEND)</source>
        <translation>文件不完整（PNG 数据在结束块 IEND 之前中断）</translation>
    </message>
    <message>
        <source>file is truncated (its TIFF image data runs past the end of the file)</source>
        <translation>文件不完整（TIFF 图像数据超出了文件末尾）</translation>
    </message>
    <message>
        <source>file is truncated (it is shorter than its WebP header says)</source>
        <translation>文件不完整（比其 WebP 文件头所述的长度短）</translation>
    </message>
    <message>
        <source>file is truncated or damaged (its {format} data is too short for {width} x {height} pixels)</source>
        <translation>文件不完整或已损坏（其 {format} 数据太短，不足 {width} x {height} 像素）</translation>
    </message>
    <message>
        <source>unsupported sample type {type} (only 8- and 16-bit images)</source>
        <translation>不支持的采样类型 {type}（仅支持 8 位和 16 位图像）</translation>
    </message>
    <message>
        <source>unsupported number of channels ({channels})</source>
        <translation>不支持的通道数（{channels}）</translation>
    </message>
    <message>
        <source>unsupported colour mode {mode}</source>
        <translation>不支持的颜色模式 {mode}</translation>
    </message>
    <message>
        <source>corrupt or unreadable 16-bit image</source>
        <translation>16 位图像已损坏或无法读取</translation>
    </message>
    <message>
        <source>camera RAW files need the package rawpy (pip install rawpy)</source>
        <translation>相机 RAW 文件需要 rawpy 软件包（pip install rawpy）</translation>
    </message>
    <message>
        <source>not a camera RAW file, or a camera LibRaw does not support</source>
        <translation>不是相机 RAW 文件，或 LibRaw 不支持该相机</translation>
    </message>
    <message>
        <source>a {format} image named like a camera RAW file, not a RAW file; rename it to {suffix} to open it</source>
        <translation>这是一张 {format} 图像，只是文件名像相机 RAW 文件，并不是 RAW 文件；请改名为 {suffix} 后再打开</translation>
    </message>
    <message>
        <source>RAW file is truncated or damaged (LibRaw could not read its image data)</source>
        <translation>RAW 文件不完整或已损坏（LibRaw 无法读取其图像数据）</translation>
    </message>
    <message>
        <source>not enough memory to develop this RAW file</source>
        <translation>内存不足，无法处理此 RAW 文件</translation>
    </message>
    <message>
        <source>cannot develop this RAW file ({cause})</source>
        <translation>无法处理此 RAW 文件（{cause}）</translation>
    </message>
    <message>
        <source>cannot create a temporary file next to it</source>
        <translation>无法在其旁边创建临时文件</translation>
    </message>
    <message>
        <source>not deblurred: the output folder&apos;s disk is full (the batch stopped at the first write that failed)</source>
        <translation>未去模糊：输出文件夹所在的磁盘已满（批处理在第一次写入失败时停止）</translation>
    </message>
    <message>
        <source>the network returns only the full-size image: no 1/2 and 1/4 outputs to save</source>
        <translation>该网络只输出原尺寸图像：没有可保存的 1/2 和 1/4 输出</translation>
    </message>
    <message>
        <source>an output of this app (the deblurred copy of {photo}), not a photo to deblur</source>
        <translation>本应用的输出（{photo} 的去模糊副本），不是要去模糊的照片</translation>
    </message>
    <message>
        <source>an output of this app (made by {marker}), not a photo to deblur</source>
        <translation>本应用的输出（由 {marker} 生成），不是要去模糊的照片</translation>
    </message>
    <message>
        <source>{suffix} files are not supported (JPEG, PNG, TIFF, WebP, BMP and HEIC are)</source>
        <translation>不支持 {suffix} 文件（支持 JPEG、PNG、TIFF、WebP、BMP 和 HEIC）</translation>
    </message>
    <message>
        <source>not an image file</source>
        <translation>不是图像文件</translation>
    </message>
    <message>
        <source>sharp enough (blur score {score} &lt; {threshold})</source>
        <translation>已足够清晰（模糊分数 {score} &lt; {threshold}）</translation>
    </message>
    <message>
        <source>unknown model {name}; choose one of {choices}</source>
        <translation>未知模型 {name}；请从 {choices} 中选择</translation>
    </message>
    <message>
        <source>no such folder</source>
        <translation>文件夹不存在</translation>
    </message>
    <message>
        <source>cannot write in the output folder ({cause})</source>
        <translation>无法写入输出文件夹（{cause}）</translation>
    </message>
    <message>
        <source>already exists</source>
        <translation>已存在</translation>
    </message>
    <message>
        <source>{output} already exists</source>
        <translation>{output} 已存在</translation>
    </message>
    <message>
        <source>already exists and is the input photo; originals are never replaced</source>
        <translation>已存在，且就是输入照片；原始照片永远不会被替换</translation>
    </message>
    <message>
        <source>already exists and is the input photo {original}; originals are never replaced</source>
        <translation>已存在，且就是输入照片 {original}；原始照片永远不会被替换</translation>
    </message>
    <message>
        <source>already exists in the input folder without this app&apos;s marker (it may be a photo of yours); it is never replaced</source>
        <translation>已存在于输入文件夹中且没有本应用的标记（可能是您的照片）；绝不会被替换</translation>
    </message>
    <message>
        <source>{problem} (use --overwrite to replace it)</source>
        <translation>{problem}（使用 --overwrite 替换它）</translation>
    </message>
    <message>
        <source>the name is {length} bytes long, more than the {limit} its folder allows; choose a shorter output name</source>
        <translation>文件名长 {length} 字节，超过了其文件夹允许的 {limit} 字节；请换一个较短的输出文件名</translation>
    </message>
    <message>
        <source>Out of memory: {error}. Try a smaller tile size or the CPU.</source>
        <translation>内存不足：{error}。请尝试更小的图块尺寸或改用 CPU。</translation>
    </message>
    <message>
        <source>out of memory while reading it</source>
        <translation>读取时内存不足</translation>
    </message>
    <message>
        <source>cannot score it ({cause})</source>
        <translation>无法为其评分（{cause}）</translation>
    </message>
    <message>
        <source>--cluster needs Ray, which is not installed; pip install -e &quot;.[cluster]&quot; adds it</source>
        <translation>--cluster 需要 Ray，但尚未安装；运行 pip install -e &quot;.[cluster]&quot; 即可添加</translation>
    </message>
    <message>
        <source>cannot connect to the Ray cluster at {address}: {cause}</source>
        <translation>无法连接到位于 {address} 的 Ray 集群：{cause}</translation>
    </message>
    <message>
        <source>--gpus-per-worker {gpus_per_worker} asks for more GPUs than the cluster has ({gpus})</source>
        <translation>--gpus-per-worker {gpus_per_worker} 要求的 GPU 多于集群拥有的数量（{gpus}）</translation>
    </message>
    <message>
        <source>{workers} workers of {gpus_per_worker} GPU(s) need more GPUs than the cluster has ({gpus})</source>
        <translation>{workers} 个各占 {gpus_per_worker} 个 GPU 的工作进程需要的 GPU 多于集群拥有的数量（{gpus}）</translation>
    </message>
    <message>
        <source>{workers} workers need a CPU core each; the cluster has {cpus}</source>
        <translation>{workers} 个工作进程各需要一个 CPU 核心；集群只有 {cpus} 个</translation>
    </message>
    <message>
        <source>worker {host} cannot see the input folder {folder}; put the photos on storage every worker mounts at the same path</source>
        <translation>工作节点 {host} 看不到输入文件夹 {folder}；请把照片放在每个工作节点都挂载在同一路径下的存储上</translation>
    </message>
    <message>
        <source>worker {host} cannot see the output folder {folder}; put it on storage every worker mounts at the same path</source>
        <translation>工作节点 {host} 看不到输出文件夹 {folder}；请把它放在每个工作节点都挂载在同一路径下的存储上</translation>
    </message>
    <message>
        <source>a worker on {host} cannot start: {cause}</source>
        <translation>{host} 上的工作进程无法启动：{cause}</translation>
    </message>
    <message>
        <source>{count} workers died while deblurring it (out of memory, or the file crashes a decoder)</source>
        <translation>{count} 个工作进程在为它去模糊时终止（内存不足，或该文件使解码器崩溃）</translation>
    </message>
    <message>
        <source>the cluster run stopped: {cause}</source>
        <translation>集群运行已停止：{cause}</translation>
    </message>
    <message>
        <source>the cluster scan stopped: {cause}</source>
        <translation>集群扫描已停止：{cause}</translation>
    </message>
    <message>
        <source>is a folder</source>
        <translation>是文件夹</translation>
    </message>
    <message>
        <source>is a device, pipe or socket, not a weights file</source>
        <translation>是设备、管道或套接字，不是权重文件</translation>
    </message>
    <message>
        <source>the file is {size}, too large for weights (at most {limit})</source>
        <translation>该文件大小为 {size}，作为权重文件过大（最多 {limit}）</translation>
    </message>
    <message>
        <source>not a weights file (expected .pkl, .pth, .pt, .safetensors or a .zip holding one)</source>
        <translation>不是权重文件（应为 .pkl、.pth、.pt、.safetensors，或包含其中之一的 .zip）</translation>
    </message>
    <message>
        <source>ships with the app and cannot be removed</source>
        <translation>随应用附带，无法删除</translation>
    </message>
    <message>
        <source>cannot remove it ({cause})</source>
        <translation>无法删除（{cause}）</translation>
    </message>
    <message>
        <source>not enough free space in {folder} ({free} free, {needed} needed)</source>
        <translation>{folder} 可用空间不足（可用 {free}，需要 {needed}）</translation>
    </message>
    <message>
        <source>the download failed ({cause})</source>
        <translation>下载失败（{cause}）</translation>
    </message>
    <message>
        <source>{server} answered HTTP {status}</source>
        <translation>{server} 返回了 HTTP {status}</translation>
    </message>
    <message>
        <source>{server} did not answer in time (no network?)</source>
        <translation>{server} 未及时响应（没有网络？）</translation>
    </message>
    <message>
        <source>cannot connect to {server} (no network?)</source>
        <translation>无法连接到 {server}（没有网络？）</translation>
    </message>
    <message>
        <source>{server} sent no file</source>
        <translation>{server} 没有发送文件</translation>
    </message>
    <message>
        <source>the disk holding {folder} is full</source>
        <translation>{folder} 所在的磁盘已满</translation>
    </message>
    <message>
        <source>could not create the weights folder {folder} ({cause})</source>
        <translation>无法创建权重文件夹 {folder}（{cause}）</translation>
    </message>
    <message>
        <source>its authors publish no weights to download</source>
        <translation>作者未发布可下载的权重</translation>
    </message>
    <message>
        <source>download it in a browser from {link}, then use Install from file (deblur-app weights install FILE)</source>
        <translation>请在浏览器中从 {link} 下载，然后使用“从文件安装”（deblur-app weights install FILE）</translation>
    </message>
    <message>
        <source>already installed at {destination}</source>
        <translation>已安装在 {destination}</translation>
    </message>
    <message>
        <source>{name} weights are already installed at {destination} (replace them with --overwrite)</source>
        <translation>{name} 权重已安装在 {destination}（用 --overwrite 替换）</translation>
    </message>
    <message>
        <source>{destination} appeared meanwhile; nothing was replaced</source>
        <translation>{destination} 在此期间出现；未替换任何文件</translation>
    </message>
    <message>
        <source>Google Drive did not hand out the file (its download quota may be exceeded, or the link needs a browser)</source>
        <translation>Google 云端硬盘未提供该文件（可能已超出下载配额，或该链接需要用浏览器打开）</translation>
    </message>
    <message>
        <source>received a web page instead of the weights (Google Drive shows one when its download quota is exceeded or it wants a sign-in)</source>
        <translation>收到的是网页而不是权重（Google 云端硬盘在超出下载配额或要求登录时会显示网页）</translation>
    </message>
    <message>
        <source>the zip holds no weights file (.pkl, .pth, .pt or .safetensors)</source>
        <translation>该 zip 中没有权重文件（.pkl、.pth、.pt 或 .safetensors）</translation>
    </message>
    <message>
        <source>the zip holds several weights files ({files}); unpack it and install one</source>
        <translation>该 zip 中有多个权重文件（{files}）；请解压后安装其中一个</translation>
    </message>
    <message>
        <source>{member} in the zip is {size}, too large for weights</source>
        <translation>zip 中的 {member} 大小为 {size}，作为权重过大</translation>
    </message>
    <message>
        <source>a damaged zip ({cause})</source>
        <translation>zip 已损坏（{cause}）</translation>
    </message>
    <message>
        <source>{member} in the zip: {reason}</source>
        <translation>压缩包中的 {member}：{reason}</translation>
    </message>
    <message>
        <source>several files are installed ({files}); name the one to remove</source>
        <translation>已安装多个文件（{files}）；请指明要删除哪一个</translation>
    </message>
    <message>
        <source>no such installed weights (see `deblur-app weights list`)</source>
        <translation>没有这样的已安装权重（见 `deblur-app weights list`）</translation>
    </message>
    <message>
        <source>the file holds {network}, not the configuration its authors published: {model} runs that network</source>
        <translation>该文件含有 {network}，不是作者发布的配置：{model} 将运行这个网络</translation>
    </message>
    <message>
        <source>taken for {model}&apos;s weights by default: {other}&apos;s have the same shapes and its name is neither&apos;s</source>
        <translation>已默认作为 {model} 的权重安装：{other} 的权重形状相同，而文件名与两者都不符</translation>
    </message>
    <message>
        <source>taken for {model}&apos;s weights by default: {other}&apos;s have the same shapes and its name is neither&apos;s; if it holds those, install it as {file} and remove this one (deblur-app weights remove {installed})</source>
        <translation>已默认作为 {model} 的权重安装：{other} 的权重形状相同，而文件名与两者都不符；如果它其实是后者的权重，请改名为 {file} 重新安装，并删除这一份（deblur-app weights remove {installed}）</translation>
    </message>
    <message>
        <source>cannot read or write {path} ({cause})</source>
        <translation>无法读写 {path}（{cause}）</translation>
    </message>
    <message>
        <source>the folder {link} holds {listed}; which one is {wanted} is not clear</source>
        <translation>文件夹 {link} 中有 {listed}；不清楚哪一个是 {wanted}</translation>
    </message>
    <message>
        <source>no weights files</source>
        <translation>0 个权重文件</translation>
    </message>
    <message>
        <source>a file named like &apos;{hint}&apos;</source>
        <translation>名称类似“{hint}”的文件</translation>
    </message>
    <message>
        <source>is a folder, not a weights file</source>
        <translation>是文件夹，不是权重文件</translation>
    </message>
    <message>
        <source>the file is empty</source>
        <translation>文件为空</translation>
    </message>
    <message>
        <source>not a readable safetensors file ({cause})</source>
        <translation>不是可读取的 safetensors 文件（{cause}）</translation>
    </message>
    <message>
        <source>refused: the file contains Python objects other than tensors (a checkpoint should hold weights only; it was not executed)</source>
        <translation>已拒绝：文件中含有张量以外的 Python 对象（检查点应只含权重；未执行其中任何内容）</translation>
    </message>
    <message>
        <source>not a PyTorch checkpoint ({cause})</source>
        <translation>不是 PyTorch 检查点（{cause}）</translation>
    </message>
    <message>
        <source>not a weights file but {kind}</source>
        <translation>不是权重文件，而是{kind}</translation>
    </message>
    <message>
        <source>a {format} image</source>
        <translation>一张 {format} 图像</translation>
    </message>
    <message>
        <source>a web page (HTML)</source>
        <translation>一个网页（HTML）</translation>
    </message>
    <message>
        <source>a zip archive that holds no PyTorch checkpoint</source>
        <translation>一个不含 PyTorch 检查点的 zip 压缩包</translation>
    </message>
    <message>
        <source>a text file</source>
        <translation>一个文本文件</translation>
    </message>
    <message>
        <source>refused: a pickle of protocol {protocol}, which PyTorch&apos;s safe loader (weights only) cannot read; it was not executed (save the weights with torch.save&apos;s defaults or as .safetensors)</source>
        <translation>已拒绝：这是协议 {protocol} 的 pickle，PyTorch 的安全加载器（仅权重）无法读取；未执行其中任何内容（请用 torch.save 的默认设置或 .safetensors 格式保存权重）</translation>
    </message>
    <message>
        <source>truncated or corrupt file ({cause})</source>
        <translation>文件不完整或已损坏（{cause}）</translation>
    </message>
    <message>
        <source>cannot read checkpoint ({cause})</source>
        <translation>无法读取检查点（{cause}）</translation>
    </message>
    <message>
        <source>not a checkpoint this app can read safely (PyTorch&apos;s old .tar format, or a file of zeros)</source>
        <translation>不是本应用可以安全读取的检查点（PyTorch 的旧 .tar 格式，或全为零的文件）</translation>
    </message>
    <message>
        <source>not a checkpoint (no state dict of tensors inside)</source>
        <translation>不是检查点（其中没有由张量组成的 state dict）</translation>
    </message>
    <message>
        <source>not a checkpoint (entry {key} is not a tensor)</source>
        <translation>不是检查点（条目 {key} 不是张量）</translation>
    </message>
    <message>
        <source>a super-resolution model (it enlarges images; this app restores them at their own size, keys e.g. {keys})</source>
        <translation>这是超分辨率模型（它放大图像；本应用按原尺寸修复图像，键例如 {keys}）</translation>
    </message>
    <message>
        <source>not weights of a network this app knows ({known}); keys e.g. {keys}</source>
        <translation>不是本应用认识的网络的权重（{known}）；键例如 {keys}</translation>
    </message>
    <message>
        <source>incomplete {network} weights ({cause} missing)</source>
        <translation>{network} 权重不完整（缺少 {cause}）</translation>
    </message>
    <message>
        <source>dual-pixel defocus weights: they read the two dual-pixel views of a camera&apos;s raw capture, not a photo</source>
        <translation>双像素散焦权重：它们读取相机原始拍摄的两个双像素视图，而不是照片</translation>
    </message>
    <message>
        <source>not a usable {network} configuration ({cause})</source>
        <translation>不是可用的 {network} 配置（{cause}）</translation>
    </message>
    <message>
        <source>not a {network} checkpoint: {problems}</source>
        <translation>不是 {network} 检查点：{problems}</translation>
    </message>
    <message>
        <source>unusable weights: {key} holds NaN or infinite values (every result would be black)</source>
        <translation>无法使用的权重：{key} 含有 NaN 或无穷大的值（每个结果都会是全黑的）</translation>
    </message>
    <message>
        <source>{count} missing keys (e.g. {keys})</source>
        <translation>缺少 {count} 个键（例如 {keys}）</translation>
    </message>
    <message>
        <source>{count} unexpected keys (e.g. {keys})</source>
        <translation>多出 {count} 个键（例如 {keys}）</translation>
    </message>
    <message>
        <source>wrong shape for {key}: {found} in the file, {expected} expected by {network}</source>
        <translation>{key} 的形状不对：文件中为 {found}，{network} 需要 {expected}</translation>
    </message>
    <message>
        <source>holds {held} weights but {wanted} was asked for</source>
        <translation>文件中是 {held} 权重，但需要的是 {wanted}</translation>
    </message>
    <message>
        <source>{network} (unpublished configuration)</source>
        <translation>{network}（未发布的配置）</translation>
    </message>
    <message>
        <source>no {network} weights found: {get}, put {published} or {own} into {folders}, `deblur-app weights install FILE`, or pass --weights PATH</source>
        <translation>未找到 {network} 权重：{get}；或把 {published} 或 {own} 放入 {folders}；或运行 `deblur-app weights install FILE`；或传入 --weights PATH</translation>
    </message>
    <message>
        <source>run `deblur-app weights download {key}` (the paper&apos;s release, {file})</source>
        <translation>运行 `deblur-app weights download {key}`（论文发布的 {file}）</translation>
    </message>
    <message>
        <source>get the authors&apos; {file} from {url}</source>
        <translation>从 {url} 获取作者的 {file}</translation>
    </message>
    <message>
        <source>no {network} weights found: {get}, put {own} into {folders}, `deblur-app weights install FILE`, or pass --weights PATH</source>
        <translation>未找到 {network} 权重：{get}；或把 {own} 放入 {folders}；或运行 `deblur-app weights install FILE`；或传入 --weights PATH</translation>
    </message>
    <message>
        <source>run `deblur-app weights download {key}` (the paper&apos;s release)</source>
        <translation>运行 `deblur-app weights download {key}`（论文发布的权重）</translation>
    </message>
    <message>
        <source>get the authors&apos; weights from {url}</source>
        <translation>从 {url} 获取作者的权重</translation>
    </message>
    <message>
        <source>published: the paper&apos;s weights: downloaded from the authors&apos; release (research use, trained on GoPro)</source>
        <translation>已发布：论文的权重：从作者的发布处下载（仅供研究使用，在 GoPro 上训练）</translation>
    </message>
    <message>
        <source>user: installed by you</source>
        <translation>用户：由您安装</translation>
    </message>
    <message>
        <source>starter: this project&apos;s starter weights: weak on real photos (see weights/README.md)</source>
        <translation>入门：本项目的入门权重：对真实照片效果较弱（见 weights/README.md）</translation>
    </message>
    <message>
        <source>downloaded from {source}, not from the authors&apos; release</source>
        <translation>从 {source} 下载，而非作者的发布处</translation>
    </message>
    <message>
        <source>installed from {source}</source>
        <translation>从 {source} 安装</translation>
    </message>
    <message>
        <source>validation {psnr} dB</source>
        <translation>验证 {psnr} dB</translation>
    </message>
    <message>
        <source>unreadable: {cause}</source>
        <translation>无法读取：{cause}</translation>
    </message>
    <message>
        <source>CUDA was asked for but no CUDA GPU is available to this PyTorch build</source>
        <translation>指定了 CUDA，但此 PyTorch 版本没有可用的 CUDA GPU</translation>
    </message>
    <message>
        <source>Apple MPS was asked for but is not available on this machine</source>
        <translation>指定了 Apple MPS，但本机不可用</translation>
    </message>
    <message>
        <source>unknown device {name}; choose one of {choices}</source>
        <translation>未知设备 {name}；请从 {choices} 中选择</translation>
    </message>
    <message>
        <source>unknown precision {name}; choose one of {choices}</source>
        <translation>未知精度 {name}；请从 {choices} 中选择</translation>
    </message>
    <message>
        <source>fp16 is not supported on the CPU; use bf16 or fp32</source>
        <translation>CPU 不支持 fp16；请使用 bf16 或 fp32</translation>
    </message>
    <message>
        <source>int8 runs on the CPU only (with OpenVINO); use --device cpu</source>
        <translation>int8 只能在 CPU 上运行（借助 OpenVINO）；请使用 --device cpu</translation>
    </message>
    <message>
        <source>unknown backend {name}; choose one of {choices}</source>
        <translation>未知后端 {name}；请从 {choices} 中选择</translation>
    </message>
    <message>
        <source>the OpenVINO backend runs on the CPU only; use --device cpu or --backend torch</source>
        <translation>OpenVINO 后端只能在 CPU 上运行；请使用 --device cpu 或 --backend torch</translation>
    </message>
    <message>
        <source>OpenVINO was asked for but is not installed (pip install deblur-app[openvino])</source>
        <translation>指定了 OpenVINO，但尚未安装（pip install deblur-app[openvino]）</translation>
    </message>
    <message>
        <source>out of memory on {device} even with {tile}-pixel tiles</source>
        <translation>即使使用 {tile} 像素的分块，{device} 上的内存仍然不足</translation>
    </message>
    <message>
        <source>out of memory with {tile}-pixel tiles; continuing with {smaller}</source>
        <translation>使用 {tile} 像素的分块时内存不足；改用 {smaller} 像素继续</translation>
    </message>
    <message>
        <source>this photo ran in torch: with OpenVINO&apos;s copies of {network}&apos;s weights no tile fits within {gigabytes} GB</source>
        <translation>这张照片用 torch 处理：带上 OpenVINO 复制的 {network} 权重后，没有分块能放进 {gigabytes} GB</translation>
    </message>
    <message>
        <source>OpenVINO unavailable, using torch: {cause}</source>
        <translation>OpenVINO 不可用，改用 torch：{cause}</translation>
    </message>
    <message>
        <source>int8 unavailable ({cause})</source>
        <translation>int8 不可用（{cause}）</translation>
    </message>
    <message>
        <source>running {precision} instead</source>
        <translation>改用 {precision} 运行</translation>
    </message>
    <message>
        <source>could not export the network to ONNX ({cause})</source>
        <translation>无法把网络导出为 ONNX（{cause}）</translation>
    </message>
    <message>
        <source>its process was killed ({signal})</source>
        <translation>其进程被终止（{signal}）</translation>
    </message>
    <message>
        <source>its process was killed ({signal}), perhaps out of memory</source>
        <translation>其进程被终止（{signal}），可能是内存不足</translation>
    </message>
    <message>
        <source>its process ended with exit code {code} before it finished</source>
        <translation>其进程未完成就结束了，退出码 {code}</translation>
    </message>
    <message>
        <source>OpenVINO on the CPU runs fp32 or bf16, not {dtype}</source>
        <translation>CPU 上的 OpenVINO 只运行 fp32 或 bf16，不运行 {dtype}</translation>
    </message>
    <message>
        <source>OpenVINO is not installed ({cause})</source>
        <translation>未安装 OpenVINO（{cause}）</translation>
    </message>
    <message>
        <source>cannot use the cache folder {folder} ({cause})</source>
        <translation>无法使用缓存文件夹 {folder}（{cause}）</translation>
    </message>
    <message>
        <source>OpenVINO runs without a cache: it prepares the network again each time the app starts</source>
        <translation>OpenVINO 在没有缓存的情况下运行：每次启动应用都会重新准备网络</translation>
    </message>
    <message>
        <source>{network} has no int8 path</source>
        <translation>{network} 没有 int8 路径</translation>
    </message>
    <message>
        <source>NNCF is not installed ({cause})</source>
        <translation>未安装 NNCF（{cause}）</translation>
    </message>
    <message>
        <source>int8 needs NNCF, which is not installed</source>
        <translation>int8 需要 NNCF，但尚未安装</translation>
    </message>
    <message>
        <source>the int8 quantisation failed ({cause})</source>
        <translation>int8 量化失败（{cause}）</translation>
    </message>
    <message>
        <source>no usable int8 calibration file {path} ({cause})</source>
        <translation>没有可用的 int8 校准文件 {path}（{cause}）</translation>
    </message>
    <message>
        <source>expected (N, H, W, 3) uint8 crops, got {found}</source>
        <translation>应为 (N, H, W, 3) 的 uint8 裁剪块，实际为 {found}</translation>
    </message>
    <message>
        <source>no int8 calibration file {path} ({cause})</source>
        <translation>没有 int8 校准文件 {path}（{cause}）</translation>
    </message>
    <message>
        <source>cannot cache the int8 model in {folder} ({cause})</source>
        <translation>无法在 {folder} 中缓存 int8 模型（{cause}）</translation>
    </message>
    <message>
        <source>the weights file changed while in use, open it again ({cause})</source>
        <translation>权重文件在使用期间被更改，请重新打开（{cause}）</translation>
    </message>
    <message>
        <source>it holds other weights now</source>
        <translation>它现在包含别的权重</translation>
    </message>
    <message>
        <source>{width}x{height} pixels ran in torch float32: no OpenVINO export of {network} serves that size</source>
        <translation>{width}x{height} 像素用 torch float32 处理：{network} 没有适合该尺寸的 OpenVINO 导出</translation>
    </message>
    <message>
        <source>float32 was asked for</source>
        <translation>指定了 float32</translation>
    </message>
    <message>
        <source>bf16 was asked for</source>
        <translation>指定了 bf16</translation>
    </message>
    <message>
        <source>fp16 was asked for</source>
        <translation>指定了 fp16</translation>
    </message>
    <message>
        <source>int8 was asked for</source>
        <translation>指定了 int8</translation>
    </message>
    <message>
        <source>fp16 on CUDA</source>
        <translation>CUDA 上使用 fp16</translation>
    </message>
    <message>
        <source>float32 on {device}</source>
        <translation>{device} 上使用 float32</translation>
    </message>
    <message>
        <source>the CPU computes bf16 natively ({features})</source>
        <translation>CPU 原生支持 bf16 计算（{features}）</translation>
    </message>
    <message>
        <source>the CPU has no native bf16</source>
        <translation>CPU 不原生支持 bf16</translation>
    </message>
    <message>
        <source>int8 needs OpenVINO</source>
        <translation>int8 需要 OpenVINO</translation>
    </message>
    <message>
        <source>int8 has not been measured for these weights</source>
        <translation>尚未针对这些权重测量 int8</translation>
    </message>
    <message>
        <source>{precision} agrees with float32 at {agreement} dB on the worst of {photos} check photo(s){worst}, is {pixel_error} off at the 99.9th percentile of the pixels of the worst{pixel_worst} and changes the validation PSNR by {change} dB (needs &gt;= {min_agreement} dB and at most {max_pixel_error} off on each of at least {min_photos} photos, and a loss &lt;= {max_loss} dB)</source>
        <translation>在 {photos} 张检查照片中最差的一张{worst}上，{precision} 与 float32 的一致度为 {agreement} dB；在逐像素误差最大的一张{pixel_worst}上，99.9% 的像素误差为 {pixel_error}；验证 PSNR 变化 {change} dB（要求至少 {min_photos} 张照片每张 &gt;= {min_agreement} dB 且 99.9% 的像素误差不超过 {max_pixel_error}，损失 &lt;= {max_loss} dB）</translation>
    </message>
    <message>
        <source>bf16 has not been measured with these weights yet (checked once, in the background)</source>
        <translation>尚未针对这些权重测量 bf16（将在后台测量一次）</translation>
    </message>
    <message>
        <source>NAFNet&apos;s int8 and bf16 run only with weights measured to keep the picture</source>
        <translation>NAFNet 的 int8 和 bf16 仅用于经测量能保持画质的权重</translation>
    </message>
    <message>
        <source>Restormer runs in float32 (OpenVINO computes torch&apos;s float32 function): bf16 and int8 are not measured against float32 with its weights</source>
        <translation>Restormer 以 float32 运行（OpenVINO 计算的正是 torch 的 float32 函数）：bf16 和 int8 尚未用它的权重与 float32 对比测量</translation>
    </message>
    <message>
        <source>the fastest path that keeps the picture on this CPU ({timings})</source>
        <translation>在此 CPU 上保持画质的最快路径（{timings}）</translation>
    </message>
    <message>
        <source>its output {output} is also the output of {photo}; give each photo its own output</source>
        <translation>其输出 {output} 也是 {photo} 的输出；请为每张照片指定各自的输出</translation>
    </message>
    <message>
        <source>measured on a {frame} frame: {timings}</source>
        <translation>在 {frame} 的画面上测得：{timings}</translation>
    </message>
    <message>
        <source>float32: {note}</source>
        <translation>float32：{note}</translation>
    </message>
    <message>
        <source>int8 needs the OpenVINO backend, which is not in use</source>
        <translation>int8 需要 OpenVINO 后端，但当前未使用</translation>
    </message>
    <message>
        <source>bf16 and int8 are not measured against float32 with FFTformer&apos;s trained weights (with test weights OpenVINO bf16 agreed only 39 dB with float32, below the 45 dB rule)</source>
        <translation>尚未用 FFTformer 的训练权重将 bf16 和 int8 与 float32 对比测量（用测试权重时，OpenVINO bf16 与 float32 的一致度仅 39 dB，低于 45 dB 的规则）</translation>
    </message>
    <message>
        <source>the OpenVINO backend does not run {network}: {note}</source>
        <translation>OpenVINO 后端不运行 {network}：{note}</translation>
    </message>
    <message>
        <source>int8 does not run {network}: {note}</source>
        <translation>int8 不运行 {network}：{note}</translation>
    </message>
    <message>
        <source>{megapixels} megapixels exceeds the limit of {limit} megapixels</source>
        <translation>{megapixels} 百万像素超过了本程序 {limit} 百万像素的上限</translation>
    </message>
    <message>
        <source>{problem} (save again to replace it)</source>
        <translation>{problem}（再次保存即可替换它）</translation>
    </message>
    <message>
        <source>download it in a browser from {link}, then use Install from File…</source>
        <translation>请在浏览器中从 {link} 下载，然后使用“从文件安装…”</translation>
    </message>
    <message>
        <source>no such installed weights (it may have been removed meanwhile)</source>
        <translation>没有这样的已安装权重（可能已在此期间被移除）</translation>
    </message>
    <message>
        <source>no {network} weights found: {get}, put {published} or {own} into {folders}, or use Install from File… in File › Weights…</source>
        <translation>未找到 {network} 权重：{get}；或把 {published} 或 {own} 放入 {folders}；或在“文件 › 权重…”中使用“从文件安装…”</translation>
    </message>
    <message>
        <source>download the paper&apos;s release ({file}) in File › Weights…</source>
        <translation>在“文件 › 权重…”中下载论文发布的 {file}</translation>
    </message>
    <message>
        <source>no {network} weights found: {get}, put {own} into {folders}, or use Install from File… in File › Weights…</source>
        <translation>未找到 {network} 权重：{get}；或把 {own} 放入 {folders}；或在“文件 › 权重…”中使用“从文件安装…”</translation>
    </message>
    <message>
        <source>download the paper&apos;s release in File › Weights…</source>
        <translation>在“文件 › 权重…”中下载论文发布的权重</translation>
    </message>
    <message>
        <source>taken for {model}&apos;s weights by default: {other}&apos;s have the same shapes and its name is neither&apos;s; if it holds those, remove it and install it again named {file}</source>
        <translation>已默认作为 {model} 的权重安装：{other} 的权重形状相同，而文件名与两者都不符；如果它其实是后者的权重，请删除它，改名为 {file} 后重新安装</translation>
    </message>
    <message>
        <source>int8 runs on the CPU only (with OpenVINO); choose CPU as the Device</source>
        <translation>int8 只能在 CPU 上运行（借助 OpenVINO）；请把“设备”选为 CPU</translation>
    </message>
</context>
<context>
    <name>RunCommands</name>
    <message numerus="yes">
        <source>Preview of {name} in {seconds:.1f} s ({tiles} tile(s) on {device})</source>
        <translation>
            <numerusform>{name} 的预览用时 {seconds:.1f} 秒（{tiles} 个图块，{device}）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deblurred {name} in {seconds:.1f} s ({tiles} tile(s) on {device})</source>
        <translation>
            <numerusform>{name} 去模糊用时 {seconds:.1f} 秒（{tiles} 个图块，{device}）</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RunName</name>
    <message>
        <source>{network} ×{passes} ensemble</source>
        <translation>{network} ×{passes} 自集成</translation>
    </message>
</context>
<context>
    <name>RunTracker</name>
    <message>
        <source>Preparing the fast int8 model (only the first time): {elapsed} elapsed</source>
        <translation>正在准备快速的 int8 模型（仅首次）：已用 {elapsed}</translation>
    </message>
    <message>
        <source>Timing the fast paths on this computer (only the first time): {elapsed} elapsed</source>
        <translation>正在本机上测定各快速路径的速度（仅首次）：已用 {elapsed}</translation>
    </message>
    <message>
        <source>Last run {seconds:.1f} s</source>
        <translation>上次运行 {seconds:.1f} 秒</translation>
    </message>
    <message>
        <source>Failed after {seconds:.1f} s</source>
        <translation>{seconds:.1f} 秒后失败</translation>
    </message>
    <message>
        <source>Cancelled after {seconds:.1f} s</source>
        <translation>{seconds:.1f} 秒后取消</translation>
    </message>
</context>
<context>
    <name>SaveDialog</name>
    <message>
        <source>Save Deblurred Photo As</source>
        <translation>去模糊照片另存为</translation>
    </message>
    <message>
        <source>Where to write the deblurred photo</source>
        <translation>去模糊照片的保存位置</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose the file name and folder</source>
        <translation>选择文件名和文件夹</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>File format; the extension follows it</source>
        <translation>文件格式；扩展名随之改变</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <source>This network returns only the full-size image: there are no ½ and ¼ outputs to save</source>
        <translation>此网络只输出全尺寸图像：没有 ½ 和 ¼ 输出可保存</translation>
    </message>
    <message>
        <source>Same as the original</source>
        <translation>与原图相同</translation>
    </message>
    <message>
        <source> %</source>
        <translation> %</translation>
    </message>
    <message>
        <source>JPEG/WebP quality: 90–95 keeps detail; WebP at 100 is lossless</source>
        <translation>JPEG/WebP 质量：90–95 可保留细节；WebP 为 100 时无损</translation>
    </message>
    <message>
        <source>Quality:</source>
        <translation>质量：</translation>
    </message>
    <message>
        <source>As the original ({depth})</source>
        <translation>与原图相同（{depth}）</translation>
    </message>
    <message>
        <source>Bits per channel; 16-bit keeps smooth gradients for further editing (PNG/TIFF)</source>
        <translation>每通道位数；16 位可保留平滑渐变，便于后期编辑 (PNG/TIFF)</translation>
    </message>
    <message>
        <source>Bit depth:</source>
        <translation>位深度：</translation>
    </message>
    <message>
        <source>Also save the ½ and ¼ outputs (…_half, …_quarter)</source>
        <translation>同时保存 ½ 和 ¼ 尺度的输出（…_half、…_quarter）</translation>
    </message>
    <message>
        <source>Write the network&apos;s coarse outputs next to the photo</source>
        <translation>将网络的粗尺度输出保存在照片旁边</translation>
    </message>
    <message>
        <source>Save As</source>
        <translation>另存为</translation>
    </message>
</context>
<context>
    <name>ScalesView</name>
    <message>
        <source>Full</source>
        <translation>原尺寸</translation>
    </message>
    <message>
        <source>The network sees the input at full, ½ and ¼ size (every 2nd / 4th pixel) and restores each; coarse scales are solved first</source>
        <translation>网络以原尺寸、½ 和 ¼ 尺寸（每隔 2 / 4 个像素取一个）读取输入并分别复原；先求解粗尺度</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>The input at full size</source>
        <translation>原尺寸的输入</translation>
    </message>
    <message>
        <source>The network&apos;s full-size output, linked to the input above</source>
        <translation>网络的原尺寸输出，与上方的输入联动</translation>
    </message>
    <message>
        <source>Input {scale}</source>
        <translation>输入 {scale}</translation>
    </message>
    <message>
        <source>Output {scale}</source>
        <translation>输出 {scale}</translation>
    </message>
    <message>
        <source>The input at {scale} size, reduced like the network&apos;s input pyramid</source>
        <translation>{scale} 尺寸的输入，按网络输入金字塔的方式缩小</translation>
    </message>
    <message>
        <source>The network&apos;s {scale}-size output, linked to the input above</source>
        <translation>网络的 {scale} 尺寸输出，与上方的输入联动</translation>
    </message>
    <message>
        <source>{scale} — {width} × {height}</source>
        <translation>{scale} — {width} × {height}</translation>
    </message>
</context>
<context>
    <name>SidePanel</name>
    <message>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA（NVIDIA GPU）</translation>
    </message>
    <message>
        <source>MPS (Apple GPU)</source>
        <translation>MPS（Apple GPU）</translation>
    </message>
    <message>
        <source>Auto (fastest)</source>
        <translation>自动（最快）</translation>
    </message>
    <message>
        <source>int8 where it was measured to keep the picture, else bf16 on CPUs that compute it natively, fp16 on NVIDIA GPUs, else fp32; the Device label&apos;s tip says which and why</source>
        <translation>在经测量不影响画质的情况下用 int8，否则在原生支持 bf16 的 CPU 上用 bf16，NVIDIA GPU 上用 fp16，其余用 fp32；“设备”标签的提示会说明用了哪种及原因</translation>
    </message>
    <message>
        <source>Exact (fp32)</source>
        <translation>精确 (fp32)</translation>
    </message>
    <message>
        <source>Full float32, as the paper&apos;s code: slower, bit-for-bit reproducible</source>
        <translation>与论文代码相同的完整 float32：较慢，结果逐位可复现</translation>
    </message>
    <message>
        <source>bf16</source>
        <translation>bf16</translation>
    </message>
    <message>
        <source>bfloat16: fast on CPUs with AVX512-BF16 or AMX and on recent GPUs, slow elsewhere</source>
        <translation>bfloat16：在支持 AVX512-BF16 或 AMX 的 CPU 和较新的 GPU 上很快，其他设备上较慢</translation>
    </message>
    <message>
        <source>fp16 (GPU)</source>
        <translation>fp16 (GPU)</translation>
    </message>
    <message>
        <source>float16 on a GPU; a result that overflows is redone in fp32</source>
        <translation>在 GPU 上使用 float16；溢出的结果会用 fp32 重新计算</translation>
    </message>
    <message>
        <source>Fastest (int8)</source>
        <translation>最快 (int8)</translation>
    </message>
    <message>
        <source>8-bit integers with OpenVINO on the CPU: fastest, slightly less exact; the first run calibrates once for these weights</source>
        <translation>在 CPU 上用 OpenVINO 的 8 位整数计算：最快，精确度略低；首次运行时会针对这些权重校准一次</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Get more networks…</source>
        <translation>获取更多网络…</translation>
    </message>
    <message>
        <source>Download or install other networks</source>
        <translation>下载或安装其他网络</translation>
    </message>
    <message>
        <source>The network that deblurs: each is trained for a kind of blur</source>
        <translation>用于去模糊的网络：每个网络针对一种模糊训练</translation>
    </message>
    <message>
        <source>Network:</source>
        <translation>网络：</translation>
    </message>
    <message>
        <source>Run the photo in 8 flips/rotations and average: slightly better, about 8× slower</source>
        <translation>将照片做 8 种翻转/旋转分别处理后取平均：效果略好，约慢 8 倍</translation>
    </message>
    <message>
        <source>Where the network runs; Auto picks a GPU when there is one</source>
        <translation>网络运行的设备；“自动”在有 GPU 时选用 GPU</translation>
    </message>
    <message>
        <source>Device:</source>
        <translation>设备：</translation>
    </message>
    <message>
        <source>Arithmetic precision of the network</source>
        <translation>网络的计算精度</translation>
    </message>
    <message>
        <source>Precision:</source>
        <translation>精度：</translation>
    </message>
    <message>
        <source>Tiles for large photos: Auto sizes them from free memory; Whole image runs the photo in one piece; smaller tiles (at least {minimum} px) need less memory and can be cancelled sooner</source>
        <translation>大照片的分块：“自动”根据可用内存确定图块大小；“整幅图像”一次处理整张照片；图块越小（至少 {minimum} 像素），占用内存越少，取消也越快</translation>
    </message>
    <message>
        <source>Tiles:</source>
        <translation>分块：</translation>
    </message>
    <message>
        <source>Deblur</source>
        <translation>去模糊</translation>
    </message>
    <message>
        <source>Preview visible area</source>
        <translation>预览可见区域</translation>
    </message>
    <message>
        <source>Deblur only the part of the photo in view, at 100 %: see the effect in seconds before running the whole photo (Ctrl+Shift+R)</source>
        <translation>只对视图中可见的部分按 100 % 去模糊：处理整张照片之前，几秒内即可看到效果 (Ctrl+Shift+R)</translation>
    </message>
    <message>
        <source>Strength</source>
        <translation>强度</translation>
    </message>
    <message>
        <source>How much of the correction to show and save: lower values blend the result towards the original (keeps grain and texture); changes without a new run</source>
        <translation>显示和保存多少校正效果：数值越低，结果越接近原图（保留颗粒和纹理）；更改后无需重新运行</translation>
    </message>
    <message>
        <source> %</source>
        <translation> %</translation>
    </message>
    <message>
        <source>Last run</source>
        <translation>上次运行</translation>
    </message>
    <message>
        <source>No result yet</source>
        <translation>尚无结果</translation>
    </message>
    <message>
        <source>Details of the result shown</source>
        <translation>所显示结果的详细信息</translation>
    </message>
    <message>
        <source>Where the model weights are looked for</source>
        <translation>查找模型权重的位置</translation>
    </message>
    <message>
        <source>{name} (≈{passes}× slower)</source>
        <translation>{name}（约慢 {passes} 倍）</translation>
    </message>
    <message>
        <source>Self-ensemble (≈{passes}× slower)</source>
        <translation>自集成（约慢 {passes} 倍）</translation>
    </message>
    <message>
        <source>Auto: {device} on this computer</source>
        <translation>自动：本机上为 {device}</translation>
    </message>
    <message>
        <source>no weights found</source>
        <translation>未找到权重</translation>
    </message>
    <message>
        <source>{names}: no weights installed.</source>
        <translation>{names}：未安装权重。</translation>
    </message>
    <message>
        <source>Get the paper&apos;s weights…</source>
        <translation>获取论文权重…</translation>
    </message>
    <message>
        <source>Starter weights only: weak on real photos.</source>
        <translation>仅有入门权重：对真实照片效果较弱。</translation>
    </message>
    <message>
        <source>Weights…</source>
        <translation>权重…</translation>
    </message>
    <message>
        <source>All weights are installed</source>
        <translation>所有权重均已安装</translation>
    </message>
</context>
<context>
    <name>SplitView</name>
    <message>
        <source>Drag the divider (or Shift+Left/Right) to compare; hold Space to see the original</source>
        <translation>拖动分隔线（或 Shift+左/右方向键）进行对比；按住空格键查看原图</translation>
    </message>
    <message>
        <source>Original</source>
        <translation>原图</translation>
    </message>
    <message>
        <source>Deblurred</source>
        <translation>去模糊后</translation>
    </message>
</context>
<context>
    <name>StarterNote</name>
    <message>
        <source>Starter Weights Only</source>
        <translation>仅有入门权重</translation>
    </message>
    <message>
        <source>Only this app&apos;s starter weights are installed. They are weak on real photos: the paper&apos;s weights deblur much better.</source>
        <translation>目前只安装了本应用的入门权重。它们对真实照片效果较弱：论文权重的去模糊效果好得多。</translation>
    </message>
    <message>
        <source>The paper&apos;s weights are the authors&apos; release for research use, trained on GoPro. Get them now, or later in the File menu under Weights…</source>
        <translation>论文权重是作者发布的、供研究使用的版本，在 GoPro 数据集上训练。现在获取，或稍后在“文件”菜单的“权重…”中获取。</translation>
    </message>
    <message>
        <source>Get the Paper&apos;s Weights…</source>
        <translation>获取论文权重…</translation>
    </message>
    <message>
        <source>Not Now</source>
        <translation>以后再说</translation>
    </message>
</context>
<context>
    <name>TileSpinBox</name>
    <message>
        <source>Whole image</source>
        <translation>整幅图像</translation>
    </message>
    <message>
        <source>{pixels} px</source>
        <translation>{pixels} 像素</translation>
    </message>
</context>
<context>
    <name>Timing</name>
    <message>
        <source>{hours} h {minutes:02d} min</source>
        <translation>{hours} 小时 {minutes:02d} 分</translation>
    </message>
    <message>
        <source>{minutes} min {seconds:02d} s</source>
        <translation>{minutes} 分 {seconds:02d} 秒</translation>
    </message>
    <message>
        <source>{seconds} s</source>
        <translation>{seconds} 秒</translation>
    </message>
    <message>
        <source>{elapsed} elapsed</source>
        <translation>已用 {elapsed}</translation>
    </message>
    <message>
        <source>almost done</source>
        <translation>即将完成</translation>
    </message>
    <message>
        <source>about {left} left</source>
        <translation>约剩 {left}</translation>
    </message>
</context>
<context>
    <name>Viewers</name>
    <message>
        <source>Side by side</source>
        <translation>并排</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>分割</translation>
    </message>
    <message>
        <source>Scales</source>
        <translation>多尺度</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>差异</translation>
    </message>
    <message>
        <source>Open a photo (Ctrl+O) or drop photos here</source>
        <translation>打开照片 (Ctrl+O)，或将照片拖放到此处</translation>
    </message>
    <message>
        <source>Not deblurred yet: press Deblur (Ctrl+R), or Preview (Ctrl+Shift+R) for the visible area</source>
        <translation>尚未去模糊：按“去模糊”(Ctrl+R)，或按“预览”(Ctrl+Shift+R) 处理可见区域</translation>
    </message>
    <message>
        <source>Deblur the photo to compare it here</source>
        <translation>对照片去模糊后即可在此对比</translation>
    </message>
    <message>
        <source>The scales view shows whole-photo runs; a preview has no ½ and ¼ outputs</source>
        <translation>多尺度视图显示整张照片的运行结果；预览没有 ½ 和 ¼ 尺度的输出</translation>
    </message>
</context>
<context>
    <name>WeightsDialog</name>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>网络</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Provenance</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>使用中</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Install from File…</source>
        <translation>从文件安装…</translation>
    </message>
    <message>
        <source>Install a .pkl, .pth, .pt or .safetensors file, or a zip holding one</source>
        <translation>安装 .pkl、.pth、.pt 或 .safetensors 文件，或包含其一的 zip</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Delete the selected file from your weights folder</source>
        <translation>从您的权重文件夹中删除所选文件</translation>
    </message>
    <message>
        <source>Open Folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>Show your weights folder</source>
        <translation>显示您的权重文件夹</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the download; nothing is installed</source>
        <translation>停止下载；不会安装任何内容</translation>
    </message>
    <message>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>in use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <source>&lt;b&gt;Networks&lt;/b&gt; are released with weights by the authors of their papers, each under its own terms (MIMO-UNet&apos;s for research use), shown below before you download. They deblur real photos much better than this app&apos;s starter weights. Download fetches them from the authors&apos; Google Drive; if that fails, download them in a browser and use Install from File.</source>
        <translation>&lt;b&gt;网络&lt;/b&gt;的权重由其论文作者发布，各有各的条款（MIMO-UNet 的权重仅供研究使用），下载前会在下方显示。它们对真实照片的去模糊效果远好于本应用的入门权重。“下载”会从作者的 Google Drive 获取；如果失败，请在浏览器中下载，再使用“从文件安装”。</translation>
    </message>
    <message>
        <source>The network whose published weights Download fetches</source>
        <translation>“下载”将获取其已发布权重的网络</translation>
    </message>
    <message>
        <source>Download…</source>
        <translation>下载…</translation>
    </message>
    <message>
        <source>Download the chosen network&apos;s published weights, verify them and install them</source>
        <translation>下载所选网络的已发布权重，校验后安装</translation>
    </message>
    <message>
        <source>Network:</source>
        <translation>网络：</translation>
    </message>
    <message>
        <source>published (authors&apos; release)</source>
        <translation>已发布（作者发布版）</translation>
    </message>
    <message>
        <source>yours</source>
        <translation>您的</translation>
    </message>
    <message>
        <source>starter (weak on real photos)</source>
        <translation>入门（对真实照片较弱）</translation>
    </message>
    <message>
        <source>{model}: {purpose}. Paper: {paper}. Trained on {data} ({psnr}). Terms of the weights: {terms}. Source: {link}</source>
        <translation>{model}：{purpose}。论文：{paper}。训练数据：{data}（{psnr}）。权重条款：{terms}。来源：{link}</translation>
    </message>
    <message>
        <source>Download Weights</source>
        <translation>下载权重</translation>
    </message>
    <message>
        <source>Accept and Download</source>
        <translation>接受并下载</translation>
    </message>
    <message>
        <source>Downloading {model}…</source>
        <translation>正在下载 {model}…</translation>
    </message>
    <message>
        <source>{model} is already installed. Download it again and replace it?</source>
        <translation>{model} 已安装。要重新下载并替换吗？</translation>
    </message>
    <message>
        <source>Install Weights</source>
        <translation>安装权重</translation>
    </message>
    <message>
        <source>Weights files (*.pkl *.pth *.pt *.safetensors *.zip);;All files (*)</source>
        <translation>权重文件 (*.pkl *.pth *.pt *.safetensors *.zip);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Checking {file}…</source>
        <translation>正在检查 {file}…</translation>
    </message>
    <message>
        <source>Weights of that network are already installed. Replace them with {file}?</source>
        <translation>该网络的权重已安装。要用 {file} 替换吗？</translation>
    </message>
    <message>
        <source>Remove Weights</source>
        <translation>移除权重</translation>
    </message>
    <message>
        <source>Delete {file} from your weights folder?</source>
        <translation>要从您的权重文件夹中删除 {file} 吗？</translation>
    </message>
    <message>
        <source>Removed {file}</source>
        <translation>已移除 {file}</translation>
    </message>
    <message>
        <source>Already installed: {file} (the same file)</source>
        <translation>已安装：{file}（同一个文件）</translation>
    </message>
    <message>
        <source>Installed {file}: you can choose it in the Model panel now</source>
        <translation>已安装 {file}：现在即可在“模型”面板中选择</translation>
    </message>
    <message>
        <source>Replace Weights</source>
        <translation>替换权重</translation>
    </message>
    <message>
        <source>Replace</source>
        <translation>替换</translation>
    </message>
    <message>
        <source>Nothing was changed</source>
        <translation>未做任何更改</translation>
    </message>
    <message>
        <source>Cancelled: nothing was installed</source>
        <translation>已取消：未安装任何内容</translation>
    </message>
    <message>
        <source>Weights Not Installed</source>
        <translation>权重未安装</translation>
    </message>
    <message>
        <source>Install {files} as model weights?</source>
        <translation>要将 {files} 安装为模型权重吗？</translation>
    </message>
    <message>
        <source>Install</source>
        <translation>安装</translation>
    </message>
    <message>
        <source>The file is checked first: only weights of a network this app knows are installed.</source>
        <translation>会先检查文件：只安装本应用认识的网络的权重。</translation>
    </message>
</context>
<context>
    <name>WindowStatusBar</name>
    <message>
        <source>Zoom of the view (100 % = one photo pixel per screen pixel)</source>
        <translation>视图的缩放比例（100 % = 一个照片像素对应一个屏幕像素）</translation>
    </message>
    <message>
        <source>Size of the selected photo</source>
        <translation>所选照片的尺寸</translation>
    </message>
    <message>
        <source>The network used for the next run</source>
        <translation>下次运行使用的网络</translation>
    </message>
    <message>
        <source>Where the network runs, and at what precision</source>
        <translation>网络在哪里运行，以及使用的精度</translation>
    </message>
    <message>
        <source>Time of the current or last run, and the time left</source>
        <translation>当前或上次运行的用时，以及剩余时间</translation>
    </message>
    <message>
        <source>Tiles (and ensemble passes) done</source>
        <translation>已完成的图块（及集成轮次）</translation>
    </message>
    <message>
        <source>Fit ({percent:.0f} %)</source>
        <translation>适合窗口（{percent:.0f} %）</translation>
    </message>
    <message>
        <source>Zoom {percent:.0f} %</source>
        <translation>缩放 {percent:.0f} %</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
</context>
<context>
    <name>dialogs</name>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
</context>
</TS>

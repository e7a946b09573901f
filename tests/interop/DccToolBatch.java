// Runs DCC's DUIS signing tool (the DCC Boxed signing tool, shipped as tool.jar in the npm package
// @smartdcc/duis-sign-wrap) over many messages in one JVM, through its public entry points Sign.main_aux and
// Validate.main_aux, exactly as its command line would: the tool's own parsing, schema check and XML signature code
// (with no certificate or key, as DCC Boxed's users run it, the tool's own ZAZ1 library chooses them).
//
// usage: java -cp tool.jar DccToolBatch.java JOBS
// JOBS: one job a line, tab-separated:  sign <out.xml> <tool arguments...>   |   validate <tool arguments...>
//   e.g.  sign <out.xml> <xml> [--preserveCounter] [<cert.pem> <key.pem (PKCS#8)>]   |   validate <xml> [<cert.pem>]
// prints one line a job: its index, the tool's result code (EXCEPTION if it threw), its last diagnostic line
// prints one line a job: <index> TAB <result code name> TAB <the tool's last diagnostic line>
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

public final class DccToolBatch {
    private DccToolBatch() {
    }

    public static void main(String[] args) throws Exception {
        List<String> jobs = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        PrintStream realOut = System.out;
        PrintStream realErr = System.err;
        int index = 0;
        for (String job : jobs) {
            if (job.isBlank()) {
                continue;
            }
            String[] f = job.split("\t");
            ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
            Object code;
            try (PrintStream err = new PrintStream(diagnostics, true, StandardCharsets.UTF_8)) {
                System.setErr(err);
                if (f[0].equals("sign")) {
                    try (PrintStream out = new PrintStream(new FileOutputStream(f[1]), true, StandardCharsets.UTF_8)) {
                        System.setOut(out);
                        code = uk.co.smartdcc.boxed.xmldsig.Sign.main_aux(Arrays.copyOfRange(f, 2, f.length));
                    }
                } else {
                    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
                    code = uk.co.smartdcc.boxed.xmldsig.Validate.main_aux(Arrays.copyOfRange(f, 1, f.length));
                }
            } catch (Exception e) {
                code = "EXCEPTION";
                diagnostics.write(("\n[E] " + e).getBytes(StandardCharsets.UTF_8));
            } finally {
                System.setOut(realOut);
                System.setErr(realErr);
            }
            String[] lines = diagnostics.toString(StandardCharsets.UTF_8).strip().split("\n");
            realOut.println(index + "\t" + code + "\t" + lines[lines.length - 1].strip());
            index++;
        }
    }
}

<?php
/*
 * Router for `php -S` serving Debian's WordPress (/usr/share/wordpress) in tests.
 *
 * Why: Debian keeps wp-content outside the web root, and PHP's built-in server knows nothing of Apache's
 * rewrite rules. This maps /wp-content/ to the test instance's own content folder (uploads would 404 otherwise),
 * lets real files through, and sends everything else to index.php so /%postname%/ permalinks and /wp-json/ work.
 * It also names the instance's config file: Debian's wp-config.php reads
 * /etc/wordpress/config-$WORDPRESS_CONFIG.php when that server variable is set.
 */

$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');

$sopkit_path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));

if (str_starts_with($sopkit_path, '/wp-content/')) {
    $sopkit_file = getenv('WP_TEST_CONTENT_DIR') . substr($sopkit_path, strlen('/wp-content'));
    $sopkit_ext = strtolower(pathinfo($sopkit_file, PATHINFO_EXTENSION));
    if (str_contains($sopkit_path, '/..') || $sopkit_ext === 'php' || !is_file($sopkit_file)) {
        http_response_code(404);
        echo "not found\n";
        return true;
    }
    $sopkit_types = [
        'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'png' => 'image/png', 'gif' => 'image/gif',
        'webp' => 'image/webp', 'svg' => 'image/svg+xml', 'css' => 'text/css', 'js' => 'text/javascript',
        'json' => 'application/json', 'woff2' => 'font/woff2', 'txt' => 'text/plain',
    ];
    header('Content-Type: ' . ($sopkit_types[$sopkit_ext] ?? 'application/octet-stream'));
    header('Content-Length: ' . filesize($sopkit_file));
    readfile($sopkit_file);
    return true;
}

$sopkit_real = $_SERVER['DOCUMENT_ROOT'] . $sopkit_path;
if ($sopkit_path !== '/' && (is_file($sopkit_real) || is_file(rtrim($sopkit_real, '/') . '/index.php'))) {
    return false;  // a real script, asset or directory index: the built-in server handles it
}

$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';

<?php
/*
 * Install WordPress for a test instance without wp-cli (Debian ships none) and print what the tests need as JSON.
 *
 * Why a CLI script rather than POSTing the install form: it is one process, needs no cookies or nonces, and can
 * also set the permalink structure and mint an Application Password in the same go.
 *
 * Environment: WORDPRESS_CONFIG (the instance's config name), WP_TEST_HOST ("127.0.0.1:PORT"),
 * WP_TEST_ADMIN_USER, WP_TEST_ADMIN_PASSWORD, WP_TEST_ADMIN_EMAIL.
 */

$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');
$_SERVER['HTTP_HOST'] = getenv('WP_TEST_HOST');
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD'] = 'GET';

define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if (is_blog_installed()) {
    fwrite(STDERR, "already installed\n");
    exit(1);
}

$installed = wp_install(
    'sopkit test site',
    getenv('WP_TEST_ADMIN_USER'),
    getenv('WP_TEST_ADMIN_EMAIL'),
    false,
    '',
    wp_slash(getenv('WP_TEST_ADMIN_PASSWORD'))
);
$user_id = (int) $installed['user_id'];

global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');  // updates the option and re-inits the rules
flush_rewrite_rules(false);

$created = WP_Application_Passwords::create_new_application_password($user_id, ['name' => 'sopkit tests']);
if (is_wp_error($created)) {
    fwrite(STDERR, 'application password: ' . $created->get_error_message() . "\n");
    exit(1);
}
$app_password = $created[0];

echo json_encode(['user_id' => $user_id, 'app_password' => $app_password]), "\n";
